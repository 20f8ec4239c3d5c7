"""Password reset links: signed (itsdangerous), valid an hour, and bound to the password they replace.

The token carries the account's id and a fingerprint of its current password hash. Setting a new password
changes the hash (a fresh salt, even for the same password), so a link opens exactly once and every older
link dies with it; nothing about the links needs to be stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

VALID_FOR = 3600  # seconds
SALT = "crm-password-reset"


def clock() -> float:
    """Seconds since the epoch (tests move it)."""
    return time.time()


class _Signer(TimestampSigner):
    """itsdangerous' timestamp signer on this module's clock."""

    def get_timestamp(self) -> int:
        return int(clock())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_Signer)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    """A reset token for the account's current password."""
    return _serializer().dumps({"user": user.id, "password": _fingerprint(user)})


def user_for(token: str) -> User | None:
    """The account a token resets, or None: forged, older than an hour, used, or its password changed since."""
    try:
        data = _serializer().loads(token, max_age=VALID_FOR)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("password"), str):
        return None
    user = db.session.get(User, data["user"])
    if user is None or user.deactivated_at is not None:
        return None
    return user if hmac.compare_digest(_fingerprint(user), data["password"]) else None
