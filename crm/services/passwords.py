"""Passwords: the rule for dashboard accounts (setup, the account page, invitations, resets), and customer
passwords, generated strong and easy to read out, stored only as a hash."""

import gzip
import secrets
import string
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from .accounts import hash_password

# Dashboard accounts: long enough to resist guessing offline, and not one of the passwords everyone tries first.
MIN_ACCOUNT_PASSWORD = 12
MAX_ACCOUNT_PASSWORD = 200
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower case (crm/data/NOTICE says where it comes from)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def account_password_problem(password: str) -> str | None:
    """Why a password can't protect a dashboard account, or None when it can."""
    if len(password) < MIN_ACCOUNT_PASSWORD:
        return _("Use at least %(num)s characters", num=MIN_ACCOUNT_PASSWORD)
    if len(password) > MAX_ACCOUNT_PASSWORD:
        return _("Use at most %(num)s characters", num=MAX_ACCOUNT_PASSWORD)
    if password.strip().lower() in common_passwords():
        return _("This password is one of the most common ones: choose another")
    return None

MIN_CUSTOMER_PASSWORD = 8
# No characters that are easy to confuse when read out or copied by hand (0/O/o, 1/l/I).
ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")
GENERATED_LENGTH = 16


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password from `secrets` with upper case, lower case and digits, none of them look-alikes."""
    if length < 3:
        raise ValueError("a generated password needs room for each kind of character")
    while True:
        password = "".join(secrets.choice(ALPHABET) for _unused in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)):
            return password


def hash_customer_password(password: str) -> str:
    """The hash kept for a customer's storefront password (the same scrypt as dashboard accounts)."""
    return hash_password(password)
