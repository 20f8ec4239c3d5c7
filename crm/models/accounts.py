"""The people who log in to the dashboard, their sign-ins, first-run setup and the shared rate limits."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

# The presets of crm/services/permissions.py; what a member may do is their row's `permissions`.
ROLES = ("owner", "manager", "staff", "read_only")


class User(UserMixin, db.Model):
    """Someone who logs in to the dashboard: an owner or another member of the shop's team."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    # Permission keys, space-separated (crm/services/permissions.py); an owner has every one whatever is here.
    permissions: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # A deactivated member can't sign in and has no sign-ins; the row stays, so can they come back.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Until migration 0010 the session cookie named this token. Sessions are rows of user_session now; the
    # column stays because SQLite can drop a UNIQUE column only by rebuilding the table, and rebuilding
    # "user" would set every note author and trail entry pointing at it to NULL.
    retired_session_token: Mapped[str] = mapped_column(
        "session_token", String(64), unique=True, default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-step verification (crm/services/two_step.py): the TOTP secret (base32), on once two_step_since is
    # set; a secret without it is a set-up in progress. The last time step accepted, so a code is used once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_step_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The customer list's columns this person chose to see ("Columns"; crm/services/list_columns.py), in any
    # order; None until they choose, which shows the defaults. Deferred (loaded by the list alone), so code
    # that loads accounts also runs on a database before migration 0024 (the migration tests fill old ones).
    list_columns: Mapped[list | None] = mapped_column(JSON, deferred=True)
    # "Language" and "Theme" on the account page (crm/i18n.py): a language code ("" follows the shop's
    # default) and "system", "light" or "dark". Deferred, for the same reason as list_columns; both have the
    # database's default, so a new account's INSERT names neither (see eager_defaults below).
    language: Mapped[str] = mapped_column(String(5), server_default="", deferred=True)
    theme: Mapped[str] = mapped_column(String(6), server_default="system", deferred=True)

    @property
    def two_step_on(self) -> bool:
        """Whether signing in takes a code from the authenticator app."""
        return self.two_step_since is not None

    # The raw key of the session this request runs in (set by crm.services.sessions, never stored).
    session_key = None  # str | None; a plain attribute, not a column

    @property
    def is_active(self) -> bool:
        """Flask-Login's "may sign in": not for a deactivated member."""
        return self.deactivated_at is None

    @property
    def display_name(self) -> str:
        """The member's name, or their email until they have given one."""
        return self.name or self.email

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session cookie: the key of this sign-in's user_session row."""
        return self.session_key

    # UserMixin compares users by get_id(), which is a sign-in's key (or None) here: compare rows instead.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    # A new account's server defaults are read when first used, not with the INSERT's RETURNING: the
    # migration tests make accounts on databases from before the columns existed.
    __mapper_args__ = {"eager_defaults": False}
    __table_args__ = (
        CheckConstraint(values_in("role", ROLES), name="role"),
        Index("uq_user_email_lower", func.lower(email), unique=True),
    )


class UserSession(db.Model):
    """One sign-in of a dashboard user: the session cookie holds its key, the table only the key's sha256.

    Signing out deletes the row, so a copy of the cookie taken earlier opens nothing afterwards; a password
    change or a deactivated account deletes every row of that user.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    # Brought up to date at most once a minute (crm/services/sessions.py), so reading a page rarely writes.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_user_session_user_id", "user_id"),
        Index("ix_user_session_expires_at", "expires_at"),
    )


class Installation(db.Model):
    """That first-run setup has happened: one row, whose primary key makes creating the owner atomic.

    Two setups racing both insert id 1; the database lets exactly one commit, however the requests interleave.
    """

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    set_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class RateLimitCounter(db.Model):
    """One rate limit's count in its current window, shared by every process serving the shop.

    Written by crm.ratelimit (Flask-Limiter's storage) in transactions of its own; expired rows are reset on
    their next hit and swept from time to time.
    """

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, as the limits library counts

    __table_args__ = (Index("ix_rate_limit_expires_at", "expires_at"),)
