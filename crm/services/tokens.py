"""API tokens for the order API: named, shown once, kept only as a sha256, revocable, with a last-used time."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiToken, User, utcnow
from . import audit, text

TOKEN_PREFIX = "crm_"
SHOWN_PREFIX = 8  # "crm_" and four characters: enough to tell a shop's few tokens apart, useless to guess with
MAX_NAME = 100
# last_used_at is written at most this often per token, so a busy checkout doesn't turn every read into a write.
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    """The stored form of a token: sha256 hex (tokens are long and random, so no salt or slow hash is needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def name_problem(name: str, exclude_id: int | None = None) -> str | None:
    """Why a token name can't be used (blank, too long, taken by an active token), or None when it can."""
    name = text.squeeze(name)
    if not name:
        return _("Enter a name for the token")
    if text.has_control_characters(name):
        return text.CONTROL_CHARACTERS_MESSAGE
    if len(name) > MAX_NAME:
        return _("Use at most %(num)s characters", num=MAX_NAME)
    if find_active_by_name(name, exclude_id=exclude_id) is not None:
        return _("An active token already has this name")
    return None


def find_active_by_name(name: str, exclude_id: int | None = None) -> ApiToken | None:
    """The active (not revoked) token with this name, compared without regard to case."""
    stmt = select(ApiToken).where(func.lower(ApiToken.name) == text.squeeze(name).lower(),
                                  ApiToken.revoked_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(ApiToken.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def create_token(name: str, user: User | None = None) -> tuple[ApiToken, str]:
    """Make a new token; returns the row and the token itself, which is never stored and can't be shown again.

    The caller checks the name with name_problem first (forms and the CLI report it their own way).
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=text.squeeze(name), token_hash=hash_token(raw), prefix=raw[:SHOWN_PREFIX], created_at=utcnow(),
                     created_by=user)
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token", None, detail=f"Created “{token.name}” ({token.prefix}…)", actor=_who(user))
    return token, raw


def all_tokens() -> list[ApiToken]:
    """Every token for the settings page and the CLI: active ones first, newest first."""
    stmt = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(db.session.scalars(stmt))


def find(name_or_id: str) -> ApiToken | None:
    """A token for the CLI: an active one by name, else any by id."""
    token = find_active_by_name(name_or_id)
    typed = name_or_id.strip()
    if token is None and typed.isascii() and typed.isdigit() and len(typed) <= 18:  # an id the database can hold
        token = db.session.get(ApiToken, int(typed))
    return token


def revoke(token: ApiToken, by: User | None = None) -> bool:
    """Stop a token working from now on; False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record(by, "token", None, detail=f"Revoked “{token.name}” ({token.prefix}…)", actor=_who(by))
    return True


def _who(user: User | None) -> str | None:
    """The trail's name for a change without a person: made on the server's command line."""
    return None if user is not None else "Command line"


def bearer(header: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header, or None."""
    scheme, _space, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def authenticate(header: str | None, now: datetime | None = None) -> ApiToken | None:
    """The active token an Authorization header carries, its last-used time brought up to date; None if none.

    Only the hash is looked up, so there is nothing to compare in Python that could leak by timing.
    """
    raw = bearer(header)
    if raw is None or not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token


def actor(token_name: str) -> str:
    """How the audit trail names what an API token did: API token "Checkout"."""
    return f'API token "{token_name}"'
