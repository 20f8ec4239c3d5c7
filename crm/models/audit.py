"""The audit trail of who did what to the shop's customer data."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .accounts import User


CUSTOMER_ACTIONS = ("create", "edit", "delete", "restore", "purge", "anonymize", "export", "import", "order", "undo",
                    "note", "tag", "bulk")
# Events of the team's accounts and the shop's settings, which concern no customer.
ACCOUNT_ACTIONS = ("sign-in", "sign-in-failed", "sign-out", "password", "two-step", "invite", "join", "role", "member",
                   "settings", "token", "tags", "view")
AUDIT_ACTIONS = CUSTOMER_ACTIONS + ACCOUNT_ACTIONS


class AuditEvent(db.Model):
    """Who did what to the shop's customer data and when; an edit keeps one row per changed field.

    The actor and the customer's name are copied as text, so the trail still reads right after the
    user or the customer is gone.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(201), default="")
    field: Mapped[str | None] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(values_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_event_customer", "customer_id", "occurred_at", "id"),
        Index("ix_audit_event_occurred_at", "occurred_at", "id"),
        Index("ix_audit_event_action", "action", "occurred_at"),
    )
