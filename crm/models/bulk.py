"""Actions on many customers at once that run on the task worker: one row per queued action."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .accounts import User

BULK_ACTIONS = ("add_tag", "remove_tag", "unsubscribe", "delete")
BULK_STATUSES = ("queued", "running", "done", "failed")


class BulkJob(db.Model):
    """An action on more customers than a request should handle, queued for the task worker.

    The worker writes "done" with the counts in the same transaction as the changes, so a row still
    "running" after its worker died changed nothing. `selection` holds the list's URL arguments as a query
    string ("all matching" is read again when the job runs) and `total` how many matched when it was queued.
    """

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    tag: Mapped[str | None] = mapped_column(String(40))  # the tag to add or remove
    selection: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    changed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)  # why it failed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(values_in("action", BULK_ACTIONS), name="action"),
        CheckConstraint(values_in("status", BULK_STATUSES), name="status"),
    )
