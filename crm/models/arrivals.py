"""How customers arrive on their own: the checkout's API tokens and the follow page's one-time codes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .accounts import User


class ApiToken(db.Model):
    """A named bearer token for the order API; only its sha256 is kept, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()


class FollowCode(db.Model):
    """A one-time code emailed to someone following the store; only a keyed hash of the code is kept."""

    __tablename__ = "follow_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # normalized and lower-cased
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_from: Mapped[str | None] = mapped_column(String(45))  # the requester's IP address

    __table_args__ = (Index("ix_follow_code_email_created_at", "email", "created_at"),)
