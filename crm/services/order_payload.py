"""What the checkout sends to the order API, read and checked: an order (POST /orders) or a new status (PATCH
/orders/<number>), every problem reported at once under its field's dotted path.

What a request may contain is documented in docs/ui-contract.md ("Order API"). Amounts are read in the shop's
currency, phone numbers in its country (the field registry's checks, as the form and the import use them);
the content hash of a checked order tells a harmless retry from a conflicting resend (intake.record_order).
The API speaks English whatever the shop's language: its messages are read in English, those of the registry's
checks (which the forms show translated) too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from flask_babel import force_locale

from ..customers import checks, fields
from ..customers.fields import AddressValue
from ..models import ORDER_STATUSES, utcnow
from . import money, orders, tags
from .text import has_control_characters, squeeze

MAX_ITEMS = 500
MAX_TAGS = 50  # tags a checkout may put on its customer in one order
MAX_QUANTITY = 100_000
# Checkout clocks drift; an order "placed" further ahead than this is a bug in the sender.
FUTURE_LEEWAY = timedelta(days=1)
# Order numbers go into URLs (PATCH /orders/<number>), so no slashes, spaces or other characters to escape.
ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}")
# The API's own words for money.parse_amount's refusals (the forms show money's messages).
AMOUNT_MESSAGES = {"negative": "Can't be negative", "too_large": "Too large"}
# The consents a checkout may send with the customer (the registry's `checkout` fields), as true or false.
CHECKOUT_CONSENTS = tuple(f for f in fields.CONSENTS if f.checkout)


class Invalid(ValueError):
    """What was sent can't be recorded; `errors` maps each field's dotted path to a message."""

    def __init__(self, errors: dict[str, str]):
        """Keep the messages by field path."""
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CustomerData:
    """Who placed the order: at least an email or a phone (E.164), and a first name."""

    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    address: AddressValue | None
    consents: dict[str, bool] = field(default_factory=dict)  # the registry's checkout consents that were sent
    tags: tuple[str, ...] = ()  # tag names to add to the customer (crm.services.tags' rule), each once

    def values(self) -> dict[str, object]:
        """What the order says about the customer, by field key, for the writer."""
        values = {"first_name": self.first_name, "last_name": self.last_name, "email": self.email,
                  "phone": self.phone, **self.consents}
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
        if not self.customer.consents:  # an order without them hashes as it did before consents were taken
            del content["customer"]["consents"]
        if not self.customer.tags:  # likewise for tags
            del content["customer"]["tags"]
        if self.customer.email:
            content["customer"]["email"] = self.customer.email.lower()
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


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
        if isinstance(value, str) and not value.strip():
            value = None  # blank is left out
        if not self._given(value, path, str, "Must be a string", required=required):
            return None
        if has_control_characters(value):
            self.fail(path, "Must not contain control characters")
            return None
        cleaned = squeeze(value)
        if max_len is not None and len(cleaned) > max_len:
            self.fail(path, f"Use at most {max_len} characters")
            return None
        return cleaned

    def flag(self, obj: dict, key: str, path: str) -> bool | None:
        """An optional true or false; None when absent or null."""
        value = obj.get(key)
        return value if self._given(value, path, bool, "Must be true or false", required=False) else None

    def amount(self, obj: dict, key: str, path: str, currency: str) -> int | None:
        """A required non-negative decimal string in the currency's precision, as minor units."""
        value = obj.get(key)
        if not self._given(value, path, str, 'Send the amount as a string, such as "129.90"', required=True):
            return None
        try:
            return money.parse_amount(value, currency, grouping=False)
        except money.AmountError as exc:
            self.fail(path, AMOUNT_MESSAGES.get(exc.kind, str(exc)))
            return None

    def obj(self, value: object, path: str, *, required: bool = False) -> dict | None:
        """A nested JSON object, or None (noting why when it is required or of the wrong type)."""
        return value if self._given(value, path, dict, "Must be an object", required=required) else None

    def _given(self, value: object, path: str, kind: type, wrong_kind: str, *, required: bool) -> bool:
        """Whether the value is there and of its kind; if not, notes why (when required, or of another kind)."""
        if value is None:
            if required:
                self.fail(path, "Required")
            return False
        if not isinstance(value, kind):
            self.fail(path, wrong_kind)
            return False
        return True


def parse_order(payload: object, *, currency: str, country: str, now: datetime | None = None) -> OrderData:
    """Check a POST /orders body against the shop's currency and country; raise Invalid with every problem
    (in English)."""
    with force_locale("en"):
        return _parse_order(payload, currency=currency, country=country, now=now)


def _parse_order(payload: object, *, currency: str, country: str, now: datetime | None) -> OrderData:
    """parse_order's reading, every problem collected."""
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
    consents = {f.key: r.flag(obj, f.key, f"customer.{f.key}") for f in CHECKOUT_CONSENTS}
    tag_names = _tags(r, obj.get("tags"), "customer.tags")
    if any(path == "customer" or path.startswith("customer.") for path in r.errors):
        return None
    return CustomerData(email, phone, names["first_name"], names["last_name"] or "", address,
                        {key: given for key, given in consents.items() if given is not None}, tag_names)


def _tags(r: _Reader, value: object, path: str) -> tuple[str, ...]:
    """Tag names to add (a list of strings, each by the tags' name rule), each once in any case."""
    if not r._given(value, path, list, "Send a list of tag names", required=False):
        return ()
    if len(value) > MAX_TAGS:
        r.fail(path, f"Send at most {MAX_TAGS} tags")
        return ()
    names: dict[str, str] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str):
            r.fail(f"{path}.{i}", "Must be a string")
            continue
        try:
            name = tags.clean_name(item)
        except checks.Invalid as exc:
            r.fail(f"{path}.{i}", str(exc))
            continue
        names.setdefault(tags.key_of(name), name)
    return tuple(names.values())


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

