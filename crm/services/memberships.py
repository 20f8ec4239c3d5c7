"""Membership IDs: the shop's prefix, digits and a Luhn check digit; never one already in use."""

import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from stdnum import luhn

from ..extensions import db
from ..models import Membership

DIGITS = 8
_TYPED = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


class InvalidMembershipID(ValueError):
    """A typed membership ID that can't be used."""


def in_use(membership_id: str, exclude_customer_id: int | None = None) -> bool:
    """Whether another customer already holds this ID (compared without regard to case)."""
    stmt = select(Membership.id).where(func.upper(Membership.membership_id) == membership_id.upper())
    if exclude_customer_id is not None:
        stmt = stmt.where(Membership.customer_id != exclude_customer_id)
    return db.session.execute(stmt.limit(1)).first() is not None


def generate_membership_id(prefix: str) -> str:
    """A new ID such as "KG382910575": prefix, 8 random digits, and a Luhn check digit over them."""
    while True:
        body = "".join(secrets.choice("0123456789") for _unused in range(DIGITS))
        candidate = f"{prefix.upper()}{body}{luhn.calc_check_digit(body)}"
        if not in_use(candidate):
            return candidate


def well_formed(value: str | None) -> bool:
    """Whether a typed ID has the shape every ID has: up to 40 letters, digits and dashes (any case, spaces
    around)."""
    return _TYPED.fullmatch((value or "").strip().upper()) is not None


def normalize_membership_id(raw: str, exclude_customer_id: int | None = None) -> str:
    """A typed ID, trimmed and upper-cased, or InvalidMembershipID when it is malformed or taken."""
    value = (raw or "").strip().upper()
    if not well_formed(value):
        raise InvalidMembershipID(_("Use up to 40 letters, digits and dashes"))
    if in_use(value, exclude_customer_id):
        raise InvalidMembershipID(_("Another customer already has this membership ID"))
    return value
