"""Customer imports from CSV files: one row per import."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .accounts import User


IMPORT_STATUSES = ("done", "failed")


class ImportJob(db.Model):
    """One customer import from a CSV file: who ran it, when, and what it created, updated and skipped.

    A failed import changed nothing (it runs in one transaction); its row says why it stopped.
    """

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(43))  # the upload's key (a failed import can be tried again)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # kept as text, like the audit trail
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)  # data rows in the file
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # unchanged or empty rows
    invalid: Mapped[int] = mapped_column(Integer, default=0)  # rows left out for their errors
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(values_in("status", IMPORT_STATUSES), name="status"),
        Index("ix_import_job_token", "token"),
        Index("ix_import_job_started_at", "started_at", "id"),
    )
