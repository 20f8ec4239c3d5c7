"""Dashboard sign-ins kept on the server, so signing out (or losing the account) ends them for real.

The session cookie is signed but readable, and a copy of it works anywhere until the server stops honouring
what it names. Each sign-in is a user_session row; the cookie carries a random key whose sha256 is the row's,
and every request looks the row up. Deleting the row ends that sign-in at once, wherever the cookie went.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import User, UserSession, utcnow

# A sign-in lasts this long at most; then the person logs in again.
LIFETIME = timedelta(days=30)
# "Last seen" is written at most this often per sign-in, so most requests read without writing.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    """The stored form of a session key (random and long, so a plain sha256 is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, ip_address: str | None, user_agent: str) -> str:
    """Record a new sign-in for the user and return its key (for the cookie; never stored as it is)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user=user, key_hash=_hash(key), created_at=now, expires_at=now + LIFETIME,
                               last_seen_at=now,
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
    now = utcnow()
    found = db.session.execute(
        select(User, UserSession.id, UserSession.last_seen_at).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.key_hash == _hash(key), UserSession.expires_at > now, User.deactivated_at.is_(None))
    ).first()
    if found is None:
        return None
    user, session_id, last_seen = found
    if last_seen is None or now - last_seen >= TOUCH_EVERY:
        _touch(session_id, now)
    user.session_key = key
    return user


def _touch(session_id: int, now) -> None:
    """Bring a sign-in's last-seen time up to date in a transaction of its own (as crm/ratelimit.py counts), so
    a page that writes nothing else needn't commit, and a page that rolls back doesn't lose it."""
    with db.engine.begin() as conn:
        conn.execute(update(UserSession.__table__).where(UserSession.__table__.c.id == session_id)
                     .values(last_seen_at=now))


def of_user(user: User) -> list[UserSession]:
    """The user's sign-ins that haven't run out, the most recently seen first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def is_current(row: UserSession, user: User) -> bool:
    """Whether the row is the sign-in this request runs in."""
    return bool(user.session_key) and row.key_hash == _hash(user.session_key)


def end_one(user: User, session_id: int) -> bool:
    """End one of the user's sign-ins by its id (the account page's "Sign out"); False when there is none."""
    return db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.id == session_id)).rowcount > 0


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
