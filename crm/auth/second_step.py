"""The sign-in's second step for accounts with two-step verification: a code from the app or a recovery code.

The right password leads here without signing in: the signed session cookie remembers whose password it was
and when (five minutes to finish), and only the right code starts the sign-in. Attempts are limited per
address and per account, so six digits can't be tried through.
"""

import time

from flask import redirect, session, url_for

from ..extensions import db
from ..models import User

PENDING = "second_step"
WAIT = 300  # seconds between the password and the code


def begin(user: User, next_url: str):
    """The password was right: remember whose it was and ask for the code."""
    session[PENDING] = {"user": user.id, "at": int(time.time()), "next": next_url}
    return redirect(url_for("auth.verify"), 303)


def pending_user() -> User | None:
    """Whose password was given in this browser within the last five minutes (with two-step still on)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > WAIT:
        return None
    user = db.session.get(User, pending["user"])
    return user if user is not None and user.two_step_on and user.deactivated_at is None else None


def account_key() -> str:
    """The rate limit's key for the account being signed in to."""
    pending = session.get(PENDING)
    return f"second-step:{pending.get('user') if isinstance(pending, dict) else None}"


def finish() -> str | None:
    """Forget the pending sign-in; where it was going."""
    return (session.pop(PENDING, None) or {}).get("next")
