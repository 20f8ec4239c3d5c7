"""Customer imports from CSV files: one row per import."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
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
    # Whether import_change holds what the import did, so it can be undone (imports before 0014 can't).
    changes_kept: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(254))
    undo_result: Mapped[str | None] = mapped_column(Text)  # what the undo did, as the undo page says it

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(values_in("status", IMPORT_STATUSES), name="status"),
        Index("ix_import_job_token", "token"),
        Index("ix_import_job_started_at", "started_at", "id"),
    )


class ImportChange(db.Model):
    """One thing a finished import did, so it can be undone: a customer it created (`field` NULL), or one
    stored value it changed (the field's key, the value before and after, as text: see imports/undo.py).

    The rows go with their customer: when the customer is deleted (to Recently deleted) or anonymized, what the
    import changed on them is no longer kept (it holds their personal values), so undo can never touch whoever
    gets their id later, nor bring back what an erasure took away.
    """

    __tablename__ = "import_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_import_change_job", "job_id", "id"),
        Index("ix_import_change_customer", "customer_id"),
    )
