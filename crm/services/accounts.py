"""Dashboard accounts: the owner created at first run, checking a login, and what a person changes of their
own account (name, email, password, deactivation), each change in the trail."""

from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Installation, User
from . import audit, permissions, saved_views, sessions
from .shop import get_settings
from .text import as_one_line, has_control_characters


def hash_password(password: str) -> str:
    """A salted scrypt hash (cost from PASSWORD_HASH_METHOD; tests lower it)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    # Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
    return generate_password_hash("not a real password", method=method)


def owner_exists() -> bool:
    """Whether first-run setup has been done."""
    return db.session.get(Installation, 1) is not None


def find_user(email: str) -> User | None:
    """The account with this email, whatever its case (none for text no address holds, such as NUL, which
    PostgreSQL refuses in a query)."""
    if has_control_characters(email):
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_owner(shop_name: str, email: str, password: str) -> User:
    """Create the owner account and name the shop (first-run setup).

    The installation row goes in first: a second setup racing this one fails on its primary key
    (sqlalchemy's IntegrityError, raised here or at commit) before it has made an owner of anyone.
    """
    password_hash = hash_password(password)  # the slow part, before any row is written and locked
    db.session.add(Installation(id=1))
    db.session.flush()
    user = User(email=email.strip(), password_hash=password_hash, role="owner",
                permissions=permissions.stored(permissions.ALL))
    db.session.add(user)
    get_settings().shop_name = shop_name.strip()
    saved_views.ensure_lapsed()  # a shop whose database was made from the models starts without it
    db.session.flush()
    db.session.get(Installation, 1).owner_id = user.id
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for a correct email and password pair, else None (also for a deactivated member)."""
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if check_password_hash(user.password_hash, password) and user.is_active else None


def password_is(user: User, password: str) -> bool:
    """Whether the password is the account's (asked again before a change that could lock its owner out)."""
    return check_password_hash(user.password_hash, password or "")


def record_failed_sign_in(typed_email: str, address: str | None) -> None:
    """A wrong email or password in the trail, under the account it was for when the email is known."""
    user = find_user(typed_email)
    where = f"from {address or 'an unknown address'}"
    if user is not None:
        audit.record(user, "sign-in-failed", None, detail=f"Wrong password {where}")
    else:
        typed = as_one_line(typed_email)[:100]
        audit.record(None, "sign-in-failed", None, actor="Unknown", detail=f"Unknown email “{typed}” {where}")


def set_password(user: User, password: str, *, keep_session: str | None = None, detail: str = "Changed") -> None:
    """Give the account a new password (checked by the caller against crm.services.passwords); every other
    sign-in of the account ends, on every device."""
    user.password_hash = hash_password(password)
    sessions.end_all(user, keep=keep_session)
    audit.record(user, "password", None, detail=detail)


def _set_own(user: User, attribute: str, label: str, value: str) -> bool:
    """Change one of the account's own details, in the trail as old -> new; False when it is the same."""
    old = getattr(user, attribute)
    if value == old:
        return False
    audit.record(user, "member", None, field=label, old=old, new=value)
    setattr(user, attribute, value)
    return True


def rename(user: User, name: str) -> bool:
    """Change the name the account goes by; False when it is the same."""
    return _set_own(user, "name", "Name", name)


def set_display(user: User, language: str, theme: str) -> bool:
    """The dashboard's language and theme for this person; False when both are as they were. Not in the
    trail: they change how the dashboard looks to this person alone."""
    if (user.language, user.theme) == (language, theme):
        return False
    user.language, user.theme = language, theme
    return True


def change_email(user: User, email: str) -> bool:
    """Change the account's email (the caller checked the password and that no other account has it)."""
    return _set_own(user, "email", "Email", email)
