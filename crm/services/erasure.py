"""Removing a customer: deleting one who never ordered (to Recently deleted), or anonymizing one whose orders
the shop must keep."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from ..customers import fields
from ..extensions import db
from ..models import AuditEvent, Customer, DeletedCustomer, FollowCode, ImportChange, Order, User, utcnow
from . import audit, deleted
from .customers import refresh_search_fields
from .text import squeeze

ANONYMOUS_FIRST_NAME = "Anonymized"
ANONYMOUS_LAST_NAME = "customer"


class CannotRemove(ValueError):
    """The customer can't be removed this way (says why)."""


class NotConfirmed(CannotRemove):
    """The name typed to confirm an erasure isn't the customer's (says so)."""


def order_count(customer: Customer) -> int:
    """Every order the customer has, whatever its status (refunded and cancelled orders are records too)."""
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == customer.id))


def delete_customer(customer: Customer, user: User | None) -> DeletedCustomer:
    """Move a customer who has no orders to Recently deleted, with their address, membership and notes, for
    30 days (services/deleted.py). Returns their entry there."""
    if order_count(customer):
        raise CannotRemove(_("Customers with orders can't be deleted"))
    audit.record(user, "delete", customer, detail="Moved to Recently deleted with their address, membership "
                                                  "and notes")
    if customer.email:
        db.session.execute(delete(FollowCode).where(FollowCode.email == customer.email.lower()))
    return deleted.move_to_bin(customer, user)


def confirm_name(customer: Customer, typed: str | None) -> None:
    """An erasure can't be undone: the owner types the customer's full name (spaces and case aside) first."""
    name = customer.display_name
    if not squeeze(typed):
        raise NotConfirmed(_("Type %(name)s in the box to confirm. Nothing was changed.", name=name))
    if squeeze(typed).casefold() != squeeze(name).casefold():
        raise NotConfirmed(_("That isn't this customer's name: type %(name)s exactly as shown to confirm. "
                             "Nothing was changed.", name=name))


# Columns that hold personal data but are no registry field: the storefront password, the add form's key, and
# each consent's record of when and how (the consents themselves are registry fields).
HIDDEN_PERSONAL = ("password_hash", "submission_key",
                   *(column for f in fields.CONSENTS for column in (f.recorded_at, f.recorded_method)))


def _erase_fields(customer: Customer) -> None:
    """Clear every registry field marked `erased` (fields.py) and the hidden personal columns; names become
    the anonymous ones, the address and membership go."""
    for field in fields.FIELDS:
        if not field.erased:
            continue
        if field.part == "customer":
            setattr(customer, field.column, None)
        elif field.part == "consent":
            setattr(customer, field.column, False)
        elif field.part == "address":
            customer.address = None
        elif field.part == "membership":
            customer.membership = None
    for column in HIDDEN_PERSONAL:
        setattr(customer, column, None)
    customer.first_name = ANONYMOUS_FIRST_NAME
    customer.last_name = ANONYMOUS_LAST_NAME


def check_anonymizable(customer: Customer) -> None:
    """Raise CannotRemove when the customer can't be anonymized: already done, or deletable instead."""
    if customer.anonymized_at is not None:
        raise CannotRemove(_("This customer is already anonymized"))
    if not order_count(customer):
        raise CannotRemove(_("A customer without orders can be deleted instead"))


def anonymize_customer(customer: Customer, user: User | None) -> None:
    """Replace a customer's personal data with anonymous values (an erasure request); orders and totals stay."""
    check_anonymizable(customer)
    if customer.email:
        db.session.execute(delete(FollowCode).where(FollowCode.email == customer.email.lower()))
    _erase_fields(customer)
    customer.notes.clear()
    # Tags can say personal things ("Allergic to nuts", "Anna's sister"): they go with the notes.
    had_tags = bool(deleted.take_tags(customer))
    # Order notes are free text ("leave it with Anna next door"): they go too; numbers and amounts stay.
    db.session.execute(update(Order).where(Order.customer_id == customer.id).values(note=None))
    customer.anonymized_at = utcnow()
    refresh_search_fields(customer)
    audit.scrub(AuditEvent.customer_id == customer.id, f"{ANONYMOUS_FIRST_NAME} {ANONYMOUS_LAST_NAME}")
    # What imports changed on them, kept for an undo, holds their values too; an undo then leaves them alone.
    db.session.execute(delete(ImportChange).where(ImportChange.customer_id == customer.id))
    erased = "Personal data and tags erased" if had_tags else "Personal data erased"
    audit.record(user, "anonymize", customer, detail=f"{erased}; orders and totals kept")
