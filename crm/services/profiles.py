"""Finding the customer a value belongs to: by email, by phone number, by the add form's one-time key."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Customer


def find_by_email(email: str, exclude_id: int | None = None) -> Customer | None:
    """Another customer with this email, compared without regard to case."""
    stmt = select(Customer).where(func.lower(Customer.email) == email.lower())
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def find_by_phone(e164: str, exclude_id: int | None = None) -> Customer | None:
    """Another customer with this number as contact or WhatsApp number."""
    stmt = select(Customer).where((Customer.phone == e164) | (Customer.whatsapp == e164))
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    return db.session.scalars(stmt.order_by(Customer.id).limit(1)).first()


def find_by_submission(key: str) -> Customer | None:
    """The customer an earlier submit of the same add form created."""
    return db.session.scalars(select(Customer).where(Customer.submission_key == key)).first()
