"""Dashboard sign-ins kept on the server, so signing out (or losing the account) ends them for real.

The session cookie is signed but readable, and a copy of it works anywhere until the server stops honouring
what it names. Each sign-in is a user_session row; the cookie carries a random key whose sha256 is the row's,
and every request looks the row up. Deleting the row ends that sign-in at once, wherever the cookie went.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..models import User, UserSession, utcnow

# A sign-in lasts this long at most; then the person logs in again.
LIFETIME = timedelta(days=30)


def _hash(key: str) -> str:
    """The stored form of a session key (random and long, so a plain sha256 is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, ip_address: str | None, user_agent: str) -> str:
    """Record a new sign-in for the user and return its key (for the cookie; never stored as it is)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user=user, key_hash=_hash(key), created_at=now, expires_at=now + LIFETIME,
                               ip_address=(ip_address or "")[:45] or None, user_agent=(user_agent or "")[:255]))
    # Sign-ins that ran out are swept whenever someone signs in, so the table stays small without a job.
    db.session.execute(delete(UserSession).where(UserSession.expires_at < now))
    user.last_sign_in_at = now
    db.session.flush()
    user.session_key = key
    return key


def user_for(key: str | None) -> User | None:
    """The user signed in with this key, or None when the sign-in was ended, ran out or never was, or the
    account has been deactivated since."""
    if not key or not isinstance(key, str):
        return None
    user = db.session.scalar(select(User).join(UserSession, UserSession.user_id == User.id)
                             .where(UserSession.key_hash == _hash(key), UserSession.expires_at > utcnow(),
                                    User.deactivated_at.is_(None)))
    if user is not None:
        user.session_key = key
    return user


def end(key: str | None) -> None:
    """End one sign-in (logging out)."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _hash(key)))


def end_all(user: User, *, keep: str | None = None) -> int:
    """End every sign-in of the user but the one with key `keep` (a password change, a deactivated account)."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.key_hash != _hash(keep))
    return db.session.execute(stmt).rowcount
