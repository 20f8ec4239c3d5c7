"""Orders from the checkout (the order API): checking what was sent, finding or adding the customer, recording
each order once, and changing an order's status.

What a request may contain and how it is matched is documented in docs/ui-contract.md ("Order API"). In short:
the customer is found by email (any case), else by phone (E.164, the shop's country as default region), else
added with source "order"; a known customer only gets the fields that are still empty. An order number is
recorded once: the same content again is a harmless retry, other content under that number a conflict. The
two are told apart by a sha256 of the parsed, normalized content, kept in Order.payload_hash.

Concurrency: the API runs each write through `serial.submit`, in its own transaction. On SQLite that
transaction starts with BEGIN IMMEDIATE, so requests queue for the write lock and every check-then-write is
serialized. On PostgreSQL the transaction takes advisory locks on the order number, email and phone it is
about, then a row lock on the customer, and a unique-index race that still slips through (an order or
customer added elsewhere at that instant) is retried from the start, where the re-read finds the winner.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ..customers import checks, fields, writer
from ..customers.fields import AddressValue
from ..customers.writer import Actor
from ..extensions import db
from ..models import ORDER_STATUSES, Customer, Order, utcnow
from . import audit, money, orders, profiles, tokens
from .serial import advisory_lock, lock_segment_counts
from .shop import get_settings
from .text import has_control_characters, squeeze

MAX_ITEMS = 500
MAX_QUANTITY = 100_000
# Checkout clocks drift; an order "placed" further ahead than this is a bug in the sender.
FUTURE_LEEWAY = timedelta(days=1)
# Order numbers go into URLs (PATCH /orders/<number>), so no slashes, spaces or other characters to escape.
ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}")
# The API's own words for money.parse_amount's refusals (the forms show money's messages).
AMOUNT_MESSAGES = {"negative": "Can't be negative", "too_large": "Too large"}


class Invalid(ValueError):
    """What was sent can't be recorded; `errors` maps each field's dotted path to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class Conflict(Exception):
    """The order number is taken by an order with other content."""


class UnknownOrder(LookupError):
    """No order has this number."""


@dataclass(frozen=True)
class CustomerData:
    """Who placed the order: at least an email or a phone (E.164), and a first name."""

    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    address: AddressValue | None

    def values(self) -> dict[str, object]:
        """What the order says about the customer, by field key, for the writer."""
        values = {"first_name": self.first_name, "last_name": self.last_name, "email": self.email,
                  "phone": self.phone}
        return {**values, **(self.address.values() if self.address else {})}


@dataclass(frozen=True)
class OrderData:
    """A checked order: amounts in minor units, placed_at in UTC, items as (name, quantity, unit price)."""

    order_number: str
    placed_at: datetime
    status: str
    currency: str
    total: int
    customer: CustomerData
    items: tuple[tuple[str, int, int], ...]

    def content_hash(self) -> str:
        """sha256 of the normalized content: a retry hashes the same however its JSON was spelled or ordered."""
        content = asdict(self)
        content["placed_at"] = self.placed_at.isoformat()
        if self.customer.email:
            content["customer"]["email"] = self.customer.email.lower()
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What became of a posted order: `created` False for a retry of an order already recorded."""

    order_number: str
    customer_id: int
    customer_created: bool
    created: bool


# ---- reading and checking -------------------------------------------------------------------------------


class _Reader:
    """Collects one message per field path while the payload is read."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        """Note a problem (the first one found for a field is kept)."""
        self.errors.setdefault(path, message)

    def text(self, obj: dict, key: str, path: str, *, required: bool = False,
             max_len: int | None = None) -> str | None:
        """A string field, stripped, with runs of whitespace made one space; None when absent or blank."""
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(path, "Required")
            return None
        if not isinstance(value, str):
            self.fail(path, "Must be a string")
            return None
        if has_control_characters(value):
            self.fail(path, "Must not contain control characters")
            return None
        cleaned = squeeze(value)
        if max_len is not None and len(cleaned) > max_len:
            self.fail(path, f"Use at most {max_len} characters")
            return None
        return cleaned

    def amount(self, obj: dict, key: str, path: str, currency: str) -> int | None:
        """A required non-negative decimal string in the currency's precision, as minor units."""
        value = obj.get(key)
        if value is None:
            self.fail(path, "Required")
            return None
        if not isinstance(value, str):
            self.fail(path, 'Send the amount as a string, such as "129.90"')
            return None
        try:
            return money.parse_amount(value, currency, grouping=False)
        except money.AmountError as exc:
            self.fail(path, AMOUNT_MESSAGES.get(exc.kind, str(exc)))
            return None

    def obj(self, value: object, path: str, *, required: bool = False) -> dict | None:
        """A nested JSON object, or None (noting why when it is required or of the wrong type)."""
        if value is None:
            if required:
                self.fail(path, "Required")
            return None
        if not isinstance(value, dict):
            self.fail(path, "Must be an object")
            return None
        return value


def parse_order(payload: object, *, currency: str, country: str, now: datetime | None = None) -> OrderData:
    """Check a POST /orders body against the shop's currency and country; raise Invalid with every problem."""
    r = _Reader()
    if not isinstance(payload, dict):
        raise Invalid({"body": "Send a JSON object"})

    number = r.text(payload, "order_number", "order_number", required=True)
    if number is not None and not ORDER_NUMBER.fullmatch(number):
        r.fail("order_number", "Use 1 to 64 letters, digits and - _ . : # (starting with a letter or digit)")

    placed_at = _placed_at(r, payload.get("placed_at"), now or utcnow())

    status = payload.get("status")
    if status is None:
        status = "paid"
    if status not in ORDER_STATUSES:
        r.fail("status", "Use one of " + ", ".join(ORDER_STATUSES))

    sent_currency = r.text(payload, "currency", "currency", required=True)
    if sent_currency is not None:
        if not re.fullmatch(r"[A-Za-z]{3}", sent_currency):
            r.fail("currency", "Use a three-letter currency code such as AUD")
        elif sent_currency.upper() != currency:
            r.fail("currency", f"This shop takes orders in {currency}")

    total = r.amount(payload, "total", "total", currency)
    customer = _customer(r, payload.get("customer"), country)
    items = _items(r, payload.get("items"), currency)

    if r.errors:
        raise Invalid(r.errors)
    return OrderData(number, placed_at, status, currency, total, customer, items)


def _placed_at(r: _Reader, value: object, now: datetime) -> datetime | None:
    """An ISO 8601 date and time with an offset, as aware UTC."""
    hint = "Use an ISO 8601 date and time such as 2026-11-01T10:00:00Z"
    if value is None:
        r.fail("placed_at", "Required")
        return None
    if not isinstance(value, str) or len(value.strip()) <= 10:  # a date alone has no time of day
        r.fail("placed_at", hint)
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        r.fail("placed_at", hint)
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        r.fail("placed_at", "Include a time zone offset, such as Z or +10:00")
        return None
    if parsed < orders.EARLIEST:
        r.fail("placed_at", "Can't be before 1970")
        return None
    placed = parsed.astimezone(timezone.utc)
    if placed > now + FUTURE_LEEWAY:
        r.fail("placed_at", "Can't be more than a day in the future")
        return None
    return placed


def _checked(r: _Reader, obj: dict, key: str, path: str, where: fields.Where) -> object:
    """A string field read by the field registry's check (email, phone ...); None when absent or refused."""
    value = r.text(obj, key, path, max_len=fields.BY_KEY[key].max_length)
    if value is None:
        return None
    try:
        return fields.BY_KEY[key].read(value, where)
    except checks.Invalid as exc:
        r.fail(path, str(exc))
        return None


def _customer(r: _Reader, value: object, country: str) -> CustomerData | None:
    """The customer object: email and/or phone, names and an optional address."""
    obj = r.obj(value, "customer", required=True)
    if obj is None:
        return None
    where = fields.Where(region=country)
    email = _checked(r, obj, "email", "customer.email", where)
    phone = _checked(r, obj, "phone", "customer.phone", where)
    if email is None and phone is None and not {"customer.email", "customer.phone"} & r.errors.keys():
        r.fail("customer", "Give an email or a phone number")
    names = {key: r.text(obj, key, f"customer.{key}", required=key == "first_name",
                         max_len=fields.BY_KEY[key].max_length) for key in ("first_name", "last_name")}
    address = _address(r, obj.get("address"), country)
    if any(path == "customer" or path.startswith("customer.") for path in r.errors):
        return None
    return CustomerData(email, phone, names["first_name"], names["last_name"] or "", address)


def _address(r: _Reader, value: object, shop_country: str) -> AddressValue | None:
    """The delivery address; the shop's country when none is given, None when every field is blank."""
    obj = r.obj(value, "customer.address")
    if obj is None:
        return None
    path = "customer.address."
    street = r.text(obj, "street", path + "street", max_len=fields.BY_KEY["street"].max_length) or ""
    city = r.text(obj, "city", path + "city", max_len=fields.BY_KEY["city"].max_length) or ""
    country = r.text(obj, "country", path + "country")
    if country is None:
        country = shop_country
    elif not re.fullmatch(r"[A-Za-z]{2}", country):
        r.fail(path + "country", "Use a two-letter country code such as AU")
        return None
    elif country.upper() not in checks.country_names():
        r.fail(path + "country", "Unknown country code")
        return None
    country = country.upper()
    where = fields.Where(region=shop_country, country=country)
    state = _checked(r, obj, "state", path + "state", where) or ""
    postcode = _checked(r, obj, "postcode", path + "postcode", where) or ""
    if not (street or city or state or postcode):
        return None
    return AddressValue(street, city, state, postcode, country)


def _items(r: _Reader, value: object, currency: str) -> tuple[tuple[str, int, int], ...]:
    """The order lines; optional (an order may come without them)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        r.fail("items", "Must be a list")
        return ()
    if len(value) > MAX_ITEMS:
        r.fail("items", f"Send at most {MAX_ITEMS} items")
        return ()
    lines = []
    for i, item in enumerate(value):
        path = f"items.{i}"
        obj = r.obj(item, path, required=True)
        if obj is None:
            continue
        name = r.text(obj, "name", f"{path}.name", required=True, max_len=200)
        quantity = obj.get("quantity")
        if quantity is None:  # left out or null, as for every optional field
            quantity = 1
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            r.fail(f"{path}.quantity", "Must be a whole number")
        elif not 1 <= quantity <= MAX_QUANTITY:
            r.fail(f"{path}.quantity", f"Must be between 1 and {MAX_QUANTITY:,}")
        unit_price = r.amount(obj, "unit_price", f"{path}.unit_price", currency)
        lines.append((name, quantity, unit_price))
    return tuple(lines)


def parse_status(payload: object) -> str:
    """Check a PATCH /orders/<number> body: {"status": "paid" | "cancelled" | "refunded"}."""
    if not isinstance(payload, dict):
        raise Invalid({"body": "Send a JSON object"})
    status = payload.get("status")
    if status is None:
        raise Invalid({"status": "Required"})
    if status not in ORDER_STATUSES:
        raise Invalid({"status": "Use one of " + ", ".join(ORDER_STATUSES)})
    return status


# ---- writing ----------------------------------------------------------------------------------------------


def _lock_customer(customer: Customer) -> Customer:
    """Take the customer's row lock and re-read it, so two orders for one customer add up, not overwrite.

    SQLite needs neither: BEGIN IMMEDIATE already made this the only writer, before anything was read.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return customer
    stmt = (select(Customer).where(Customer.id == customer.id).with_for_update()
            .execution_options(populate_existing=True))
    return db.session.scalars(stmt).one()


def find_order(order_number: str) -> Order | None:
    """The order with this number (numbers compare exactly, as the unique index does)."""
    return db.session.scalars(select(Order).where(Order.order_number == order_number)).first()


def record_order(data: OrderData, token_name: str) -> Outcome:
    """Record a checked order once (call inside `serial.submit`): a retry changes nothing; other content is a Conflict."""
    keys = [f"order:{data.order_number}"]
    if data.customer.email:
        keys.append(f"email:{data.customer.email.lower()}")
    if data.customer.phone:
        keys.append(f"phone:{data.customer.phone}")
    advisory_lock(*keys)

    digest = data.content_hash()
    existing = find_order(data.order_number)
    if existing is not None:
        if existing.payload_hash == digest:
            return Outcome(existing.order_number, existing.customer_id, customer_created=False, created=False)
        if existing.channel != "checkout":
            raise Conflict("Another order (recorded by hand) already has this number")
        raise Conflict("This order number was already sent with different content")

    lock_segment_counts()
    actor = tokens.actor(token_name)
    customer = match_customer(data.customer)
    created = customer is None
    if created:
        customer = writer.create(data.customer.values(), source="order", actor=Actor(actor),
                                 detail=f"Added from checkout order {data.order_number}")
    else:
        # A known customer gets only what they lack: nothing the owner typed is overwritten.
        customer = _lock_customer(customer)
        writer.update(customer, data.customer.values(), actor=Actor(actor), only_empty=True)
    order = orders.add_order(customer, data.order_number, data.placed_at, data.total, data.status,
                             data.currency, None, list(data.items), channel="checkout", payload_hash=digest)
    amount = money.format_money(data.total, data.currency, get_settings().country)
    audit.record(None, "order", customer, actor=actor,
                 detail=f"Order {order.order_number} received from the checkout: {data.status}, {amount}")
    return Outcome(order.order_number, customer.id, customer_created=created, created=True)


def match_customer(data: CustomerData) -> Customer | None:
    """The customer an order belongs to: by email (any case), else by contact or WhatsApp number."""
    if data.email:
        customer = profiles.find_by_email(data.email)
        if customer is not None:
            return customer
    if data.phone:
        return profiles.find_by_phone(data.phone)
    return None


def change_status(order_number: str, status: str, token_name: str) -> tuple[Order, bool]:
    """Mark an order paid, cancelled or refunded (call inside `serial.submit`); False when it already was."""
    advisory_lock(f"order:{order_number}")
    order = find_order(order_number)
    if order is None:
        raise UnknownOrder(order_number)
    if order.status == status:
        return order, False
    lock_segment_counts()
    _lock_customer(order.customer)
    old = order.status
    orders.set_status(order, status)
    audit.record(None, "order", order.customer, actor=tokens.actor(token_name), old=old, new=status,
                 detail=f"Order {order.order_number} marked {status} (was {old})")
    return order, True


def order_fields(order: Order) -> dict:
    """An order as the API shows it: amounts as decimal strings in the order's currency, times in UTC."""
    def amount(minor: int) -> str:
        """Minor units as the decimal string the API takes."""
        return f"{money.to_decimal(minor, order.currency):f}"

    return {
        "order_number": order.order_number,
        "customer_id": order.customer_id,
        "placed_at": order.placed_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "status": order.status,
        "currency": order.currency,
        "total": amount(order.total),
        "channel": order.channel,
        "items": [{"name": i.name, "quantity": i.quantity, "unit_price": amount(i.unit_price)} for i in order.items],
    }


def lock_for_figures(customer: Customer) -> Customer:
    """Before any order change outside the API (an order recorded by hand): the same PostgreSQL locks, in the
    same order, so it can neither deadlock with the checkout nor overwrite its figures."""
    lock_segment_counts()
    return _lock_customer(customer)
