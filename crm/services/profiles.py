"""Adding and editing a customer by hand, with every change kept in the audit trail (passwords never)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel import Locale
from sqlalchemy import func, select

from ..extensions import db
from ..models import Address, Customer, Membership, User, utcnow
from . import audit, business, phones
from .customers import refresh_search_fields
from .passwords import hash_customer_password
from .serial import lock_segment_counts

# Field key -> the label the form shows, which the trail uses too.
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Contact number",
    "whatsapp": "WhatsApp number",
    "company_name": "Company name",
    "abn": "ABN",
    "membership_id": "Membership ID",
    "expires_on": "Expiry date",
    "street": "Street",
    "city": "Suburb / City",
    "state": "State",
    "postcode": "Postcode",
    "country": "Country",
    "email_marketing": "Email marketing",
}
ADDRESS_FIELDS = ("street", "city", "state", "postcode", "country")
CONSENT_METHOD = "dashboard"  # consent given or withdrawn by someone in the dashboard (the trail says who)


@dataclass
class AddressInput:
    """A checked delivery address."""

    street: str
    city: str
    state: str
    postcode: str
    country: str


@dataclass
class CustomerInput:
    """What the customer form gives, already checked and normalized (E.164 phones, 11-digit ABN ...).

    `b2b` and `membership` say whether those parts of the form were shown: when a feature is off its
    fields are left as they are, so switching it back on finds the data again. `password` None keeps
    the current one.
    """

    first_name: str
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    email_marketing: bool = False
    address: AddressInput | None = None
    password: str | None = None
    b2b: bool = False
    company_name: str | None = None
    abn: str | None = None
    membership: bool = False
    membership_id: str | None = None
    expires_on: date | None = None


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


def _values(customer: Customer) -> dict[str, object]:
    address = customer.address
    membership = customer.membership
    values: dict[str, object] = {
        "first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email,
        "phone": customer.phone, "whatsapp": customer.whatsapp, "company_name": customer.company_name,
        "abn": customer.abn, "email_marketing": bool(customer.email_marketing),
        "membership_id": membership.membership_id if membership else None,
        "expires_on": membership.expires_on if membership else None,
    }
    for key in ADDRESS_FIELDS:
        values[key] = getattr(address, key) if address else None
    return values


def display_value(key: str, value: object, region: str) -> str | None:
    """A stored value as the trail shows it: phones national, ABN grouped, countries by name."""
    if value is None or value == "":
        return None
    if key in ("phone", "whatsapp"):
        return phones.display(str(value), region)
    if key == "abn":
        return business.format_abn(str(value))
    if key == "country":
        return Locale.parse("en").territories.get(str(value), str(value))
    if key == "email_marketing":
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _apply(customer: Customer, data: CustomerInput) -> None:
    customer.first_name = data.first_name
    customer.last_name = data.last_name
    customer.email = data.email
    customer.phone = data.phone
    customer.whatsapp = data.whatsapp
    if data.b2b:
        customer.company_name = data.company_name
        customer.abn = data.abn
    if data.password:
        customer.password_hash = hash_customer_password(data.password)
    if bool(customer.email_marketing) != data.email_marketing or (
            customer.id is None and data.email_marketing):
        customer.email_marketing = data.email_marketing
        customer.email_marketing_at = utcnow()
        customer.email_marketing_method = CONSENT_METHOD
    if data.membership:
        if data.membership_id is None:
            customer.membership = None
        elif customer.membership is None:
            customer.membership = Membership(membership_id=data.membership_id, expires_on=data.expires_on)
        else:
            customer.membership.membership_id = data.membership_id
            customer.membership.expires_on = data.expires_on
    if data.address is None:
        customer.address = None
    else:
        if customer.address is None:
            customer.address = Address()
        for key in ADDRESS_FIELDS:
            setattr(customer.address, key, getattr(data.address, key))
    refresh_search_fields(customer)


def create_customer(data: CustomerInput, user: User | None, *, submission_key: str | None = None) -> Customer:
    """Add a customer by hand (source "manual") and note it in the trail."""
    lock_segment_counts()
    customer = Customer(source="manual", submission_key=submission_key, email_marketing=False)
    _apply(customer, data)
    db.session.add(customer)
    db.session.flush()
    audit.record(user, "create", customer, detail="Added by hand")
    return customer


def update_customer(customer: Customer, data: CustomerInput, user: User | None, region: str) -> list[str]:
    """Save an edit; each changed field goes into the trail as old -> new. Returns the changed labels."""
    lock_segment_counts()  # an address change moves the kept place counts, which orders move too
    before = _values(customer)
    _apply(customer, data)
    after = _values(customer)
    changed = []
    for key, label in FIELD_LABELS.items():
        if before[key] != after[key]:
            audit.record(user, "edit", customer, field=label, old=display_value(key, before[key], region),
                         new=display_value(key, after[key], region))
            changed.append(label)
    if data.password:
        # The trail says that it changed, never what it was or is.
        audit.record(user, "edit", customer, field="Customer password", detail="changed")
        changed.append("Customer password")
    return changed
