"""Customer passwords: generated strong and easy to read out, stored only as a hash."""

import secrets
import string

from .accounts import hash_password

MIN_CUSTOMER_PASSWORD = 8
# No characters that are easy to confuse when read out or copied by hand (0/O/o, 1/l/I).
ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")
GENERATED_LENGTH = 16


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password from `secrets` with upper case, lower case and digits, none of them look-alikes."""
    if length < 3:
        raise ValueError("a generated password needs room for each kind of character")
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)):
            return password


def hash_customer_password(password: str) -> str:
    """The hash kept for a customer's storefront password (the same scrypt as dashboard accounts)."""
    return hash_password(password)


# Dashboard accounts (the team's members) choose passwords of at least this many characters.
MIN_ACCOUNT_PASSWORD = 12
MAX_ACCOUNT_PASSWORD = 200


def account_password_problem(password: str) -> str | None:
    """Why a new dashboard password can't be used, or None."""
    if len(password) < MIN_ACCOUNT_PASSWORD:
        return f"Use at least {MIN_ACCOUNT_PASSWORD} characters"
    if len(password) > MAX_ACCOUNT_PASSWORD:
        return f"Use at most {MAX_ACCOUNT_PASSWORD} characters"
    return None
