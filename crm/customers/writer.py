"""The one way a customer is created or changed, so nothing anyone types is ever changed without a trace.

Every path that writes a customer (the form, the order API, the follow page, the import's updates, the demo)
comes here with values already read by the field registry (fields.py): a dict from field key to the stored
value, holding only the fields the path is about. The writer applies them to the customer, their address and
membership, records consent with when and how, keeps the search fields right, and puts who, when and
old -> new for every changed field in the trail. It never commits: the caller's transaction does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..extensions import db
from ..models import Address, Customer, Membership, User, utcnow
from ..services import audit, serial
from ..services.customers import refresh_search_fields
from ..services.passwords import hash_customer_password
from ..services.shop import get_settings
from . import fields
from .fields import ADDRESS_PARTS, BY_KEY

PASSWORD_LABEL = "Customer password"


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as the trail names them: a person (their user row), or a token, page or import."""

    name: str
    user: User | None = None

    @classmethod
    def person(cls, user: User | None) -> Actor:
        """Someone signed in to the dashboard (or the system, for None)."""
        return cls(audit.actor_name(user), user)


@dataclass(frozen=True)
class Consent:
    """How a consent (email marketing, text and WhatsApp marketing) given or withdrawn now is recorded: when,
    and by what means."""

    method: str  # "dashboard", "follow", "import" ... (the profile says how it was recorded)
    at: datetime | None = None  # when it was proven; now when not given
    detail: str | None = None  # what the trail adds to the change (the follow page's proof)


def current_values(customer: Customer) -> dict[str, object]:
    """Every registry field's stored value for the customer (None where they have no address or membership)."""
    rows = {"customer": customer, "consent": customer, "address": customer.address,
            "membership": customer.membership}
    values = {}
    for field in fields.FIELDS:
        row = rows[field.part]
        value = getattr(row, field.column) if row is not None else None
        values[field.key] = bool(value) if field.part == "consent" else value
    return values


def create(values: dict[str, object], *, source: str, actor: Actor, detail: str, consent: Consent | None = None,
           password: str | None = None, **columns) -> Customer:
    """Add a customer with these values (source "manual", "order", "follow" ...) and one "create" event.

    `columns` sets other columns of the new row as they are (submission_key, created_at).
    """
    serial.lock_segment_counts()
    customer = Customer(source=source, first_name="", last_name="", **{f.column: False for f in fields.CONSENTS},
                        **columns)
    _apply(customer, values, consent, only_empty=False)
    if password:
        customer.password_hash = hash_customer_password(password)
    refresh_search_fields(customer)
    db.session.add(customer)
    db.session.flush()
    audit.record(actor.user, "create", customer, actor=actor.name, detail=detail)
    return customer


def update(customer: Customer, values: dict[str, object], *, actor: Actor, consent: Consent | None = None,
           password: str | None = None, only_empty: bool = False, action: str = "edit") -> list[str]:
    """Change a customer; every changed field goes into the trail as old -> new. Returns the changed labels.

    `only_empty` gives the customer only what they lack (the order API): nothing stored is overwritten, and an
    address only when they have none. `action` names the change in the trail ("undo" for an undone import).
    """
    serial.lock_segment_counts()  # an address change moves the kept place counts, which orders move too
    before = current_values(customer)
    _apply(customer, values, consent, only_empty=only_empty)
    refresh_search_fields(customer)
    after = current_values(customer)
    region = get_settings().country
    changed = []
    for field in fields.FIELDS:
        if before[field.key] != after[field.key]:
            detail = consent.detail if consent is not None and field.part == "consent" else None
            audit.record(actor.user, action, customer, actor=actor.name, field=field.label,
                         old=field.show(before[field.key], region), new=field.show(after[field.key], region),
                         detail=detail)
            changed.append(field.label)
    if password:
        customer.password_hash = hash_customer_password(password)
        # The trail says that it changed, never what it was or is.
        audit.record(actor.user, "edit", customer, actor=actor.name, field=PASSWORD_LABEL, detail="changed")
        changed.append(PASSWORD_LABEL)
    return changed


def _apply(customer: Customer, values: dict[str, object], consent: Consent | None, *, only_empty: bool) -> None:
    """Put the values on the customer, their membership and address, and consent with its record."""
    for key, value in values.items():
        field = BY_KEY[key]
        if field.part == "customer" and not (only_empty and getattr(customer, field.column)):
            setattr(customer, field.column, value)
    if "membership_id" in values and not only_empty:
        _apply_membership(customer, values["membership_id"], values.get("membership_expires_on"))
    if any(key in values for key in ADDRESS_PARTS) and not (only_empty and customer.address is not None):
        _apply_address(customer, values)
    if consent is not None:
        for field in fields.CONSENTS:
            # The order API gives a consent only to a customer who has never answered: it overwrites nothing.
            answered = getattr(customer, field.recorded_at) is not None
            if values.get(field.key) is not None and not (only_empty and answered):
                _apply_consent(customer, field, bool(values[field.key]), consent)


def _apply_membership(customer: Customer, membership_id: str | None, expires_on) -> None:
    """Give, change or take away the customer's membership."""
    if membership_id is None:
        customer.membership = None
    elif customer.membership is None:
        customer.membership = Membership(membership_id=membership_id, expires_on=expires_on)
    else:
        customer.membership.membership_id = membership_id
        customer.membership.expires_on = expires_on


def _apply_address(customer: Customer, values: dict[str, object]) -> None:
    """The delivery address is one value: any part given replaces the whole of it; none given removes it."""
    if not any(values.get(key) for key in ADDRESS_PARTS):
        customer.address = None
        return
    if customer.address is None:
        customer.address = Address()
    for field in fields.of_part("address"):
        setattr(customer.address, field.column, values.get(field.key) or "")


def _apply_consent(customer: Customer, field: fields.Field, given: bool, consent: Consent) -> None:
    """Record a consent given or withdrawn, with when and how; the same answer again changes nothing."""
    if bool(getattr(customer, field.column)) == given:
        return
    setattr(customer, field.column, given)
    setattr(customer, field.recorded_at, consent.at or utcnow())
    setattr(customer, field.recorded_method, consent.method)
