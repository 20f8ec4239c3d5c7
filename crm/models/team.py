"""Invitations to join the shop's team."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import ROLES
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .accounts import User


class Invitation(db.Model):
    """A link that lets one person make an account with the given role, once, until it expires.

    Only the sha256 of the link's token is kept (the link is mailed or shown once), so a copy of the database
    opens no account. Used, revoked and expired invitations stay as a record of who was asked when.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(values_in("role", ROLES), name="role"),
        Index("ix_invitation_email_lower", func.lower(email)),
    )
