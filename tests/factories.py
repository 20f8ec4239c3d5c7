"""Small named factories for the rows tests start from, each valid with defaults and flushed, not committed.

Call them inside an app context; a test that needs the rows in another session (a client request, a live
server) commits itself, or uses committed_customer. Orders, notes and tokens go through the services the app
uses, so a customer's figures, segment and the tokens' hashes are what the app would have stored.
"""

from datetime import date, datetime, timedelta, timezone
from itertools import count

from crm.extensions import db
from crm.models import Address, ApiToken, Customer, Membership, Note, Order, User
from crm.services import accounts, notes, orders, permissions, tokens
from crm.services.customers import refresh_search_fields

_numbers = count(1)
FIRST_ORDER_AT = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)


def customer(first_name: str = "Alex", last_name: str = "Taylor", *, email: str | None = None,
             phone: str | None = None, whatsapp: str | None = None, company_name: str | None = None,
             abn: str | None = None, source: str = "manual", created_at: datetime | None = None) -> Customer:
    """A customer with no orders (a prospect); numbers are E.164, as the forms store them."""
    row = Customer(first_name=first_name, last_name=last_name, email=email, phone=phone, whatsapp=whatsapp,
                   company_name=company_name, abn=abn, source=source,
                   created_at=created_at or datetime.now(timezone.utc))
    refresh_search_fields(row)
    db.session.add(row)
    db.session.flush()
    return row


def address(of: Customer, *, street: str = "", city: str = "", state: str = "", postcode: str = "",
            country: str = "AU") -> Address:
    """Give the customer a delivery address (replacing any they had)."""
    of.address = Address(street=street, city=city, state=state, postcode=postcode, country=country)
    db.session.flush()
    return of.address


def membership(of: Customer, membership_id: str | None = None, expires_on: date | None = None) -> Membership:
    """Give the customer a membership; without an ID, a fresh "MEMBER-<n>" one."""
    of.membership = Membership(membership_id=membership_id or f"MEMBER-{next(_numbers)}", expires_on=expires_on)
    db.session.flush()
    return of.membership


def order(of: Customer, total: int = 10_000, status: str = "paid", *, placed_at: datetime | None = None,
          number: str | None = None, **details) -> Order:
    """Record an order (total in minor units) as the API would, moving the customer's figures and segment.

    details go to orders.add_order as they are (currency, note, items, channel).
    """
    placed_at = placed_at or datetime.now(timezone.utc)
    return orders.add_order(of, number or f"T{next(_numbers)}", placed_at, total, status, **details)


def note(on: Customer, body: str = "Likes red", author: User | None = None) -> Note:
    """A private note on the customer, written now."""
    return notes.add_note(on, author, body)


def api_token(name: str = "Checkout", user: User | None = None) -> tuple[ApiToken, str]:
    """An active API token: the row and the bearer token itself (shown once, never stored)."""
    return tokens.create_token(name, user)


MEMBER_PASSWORD = "a long enough password"


def member(email: str = "sam@shop.test", role: str = "staff", *, name: str = "Sam Staff",
           password: str = MEMBER_PASSWORD) -> User:
    """A member of the shop's team with their role's preset permissions (as an accepted invitation makes)."""
    user = User(email=email, name=name, password_hash=accounts.hash_password(password), role=role,
                permissions=permissions.stored(permissions.PRESETS[role]))
    db.session.add(user)
    db.session.flush()
    return user


def make_customer(first_name="Alex", last_name="Taylor", *, city=None, state=None, street="", postcode="",
                  country="AU", orders_spec=(), **fields) -> Customer:
    """customer(), with an address when a place is given and paid orders as [(total_minor, status), ...].

    One call for the many tests that lay out a shop as a table of people; the orders are placed three days
    apart from 1 January 2026, so their order is the order of orders_spec.
    """
    row = customer(first_name, last_name, **fields)
    if city or state or street:
        address(row, street=street, city=city or "", state=state or "", postcode=postcode, country=country)
    placed = FIRST_ORDER_AT
    for total, status in orders_spec:
        placed += timedelta(days=3)
        order(row, total, status, placed_at=placed)
    return row


def committed_customer(app, *args, **kwargs) -> int:
    """make_customer in the given app's context, committed; returns the new customer's id."""
    with app.app_context():
        row = make_customer(*args, **kwargs)
        db.session.commit()
        row_id = row.id
        db.session.remove()
        return row_id
