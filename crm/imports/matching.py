"""Finding the customer each row updates: the rows' contact keys (pass one), rows that repeat an email or
membership ID, the match by email, then phone number, then (for rows with neither) by name, and the stored
customers the rows are compared with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from ..customers import fields
from ..extensions import db
from ..models import Address, Customer, Membership
from ..services.customers import fold_accents
from ..services.text import squeeze
from . import batches, rules
from .batches import chunks
from .mapping import Columns
from .messages import N_

_DELIMITER_NAMES = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}
BROKEN_ROW = N_("This row has %(cells)s cells but the header has %(columns)s: put quotes around values that "
                "contain a %(delimiter)s")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One problem of a row: the field whose cell is wrong ("" for the row as a whole) and what is wrong."""

    field: str
    message: str


@dataclass(slots=True)
class RowKeys:
    """What pass one learns about a row (its contact keys), and what matching adds (its customer, problems)."""

    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    membership_id: str | None = None
    name: str = ""  # first and last name, folded as the stored name_key is
    broken: bool = False  # more cells than the header: nothing in it can be trusted
    empty: bool = False
    problems: list[RowProblem] | None = None
    customer_id: int | None = None
    candidates: tuple[int, ...] = ()  # customers without email or number who have the row's name

    def fail(self, column: str, message: str) -> None:
        """Note a problem with one of the row's cells."""
        if self.problems is None:
            self.problems = []
        self.problems.append(RowProblem(column, message))

    def without_contact(self) -> bool:
        """A row with neither a usable email nor a phone number (and nothing wrong with those cells)."""
        return not (self.email or self.phone or self.whatsapp or self.problems)


@dataclass(frozen=True, slots=True)
class DeliveryAddress:
    """A delivery address as stored: one value, whichever of its parts a row gives."""

    street: str
    city: str
    state: str
    postcode: str
    country: str

    @property
    def parts(self) -> tuple[str, str, str, str]:
        """The parts a file's address columns give (fields.ADDRESS_PARTS), without the country."""
        return (self.street, self.city, self.state, self.postcode)


@dataclass(frozen=True, slots=True)
class HeldMembership:
    """A customer's stored membership."""

    membership_id: str
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class StoredCustomer:
    """A customer's stored values, as a row is compared with them."""

    id: int
    values: dict
    anonymized: bool
    address: DeliveryAddress | None
    membership: HeldMembership | None
    notes: frozenset[str] = frozenset()  # the texts of their notes, read only for a file with a note column
    tags: tuple[str, ...] = ()  # their tags' names, read only for a file with a tags column
    # When each consent (fields.CONSENTS) was recorded, by key; None where it never was (never asked).
    consented_at: tuple[tuple[str, datetime | None], ...] = ()


@dataclass(frozen=True, slots=True)
class NumberHolder:
    """A customer who has a phone number a row gives: who, and what tells same-number customers apart."""

    customer_id: int
    email: str | None  # lower-cased
    name_key: str


# ---- pass one: the rows' keys -------------------------------------------------------------------------------


class _Numbers:
    """Phone numbers checked once per run: parsing one takes some 100 µs, and a file often has one twice."""

    def __init__(self, region: str):
        """Read numbers in the shop's country."""
        self.place = rules.where(region)
        self.seen: dict[tuple, object] = {}

    def check(self, key: str, value: str) -> str:
        """rules.check for a number field, remembered by the field's check (phone and WhatsApp share one)."""
        memo = (fields.BY_KEY[key].check, value)
        found = self.seen.get(memo)
        if found is None:
            try:
                found = rules.check(key, value, self.place)
            except rules.Invalid as exc:
                found = exc
            self.seen[memo] = found
        if isinstance(found, rules.Invalid):
            raise rules.Invalid(str(found))
        return found


def read_keys(columns: Columns, region: str, report: Callable[[int], None]) -> list[RowKeys]:
    """Every row's email, phone numbers and membership ID, normalized: what matching and duplicates need."""
    numbers = _Numbers(region)
    out = []
    for n, (_number, raw) in enumerate(columns.source.records(), start=1):
        out.append(_row_keys(columns, raw, numbers))
        if n % batches.CHUNK == 0:
            report(n)
    report(len(out))
    return out


def _row_keys(columns: Columns, raw: list[str], numbers: _Numbers) -> RowKeys:
    """One row's keys; a row with more cells than the header is broken, one with nothing in it empty."""
    keys = RowKeys()
    if len(raw) > columns.width and any(c.strip() for c in raw[columns.width:]):
        keys.fail("", BROKEN_ROW % {"cells": len(raw), "columns": columns.width,
                                    "delimiter": _DELIMITER_NAMES[columns.source.delimiter]})
        keys.broken = True
        return keys
    cells = columns.cells(raw)
    if not any(cells.values()):
        keys.empty = True
        return keys
    if cells.get("email"):
        try:
            keys.email = rules.check("email", cells["email"], numbers.place)
        except rules.Invalid as exc:
            keys.fail("email", str(exc))
    for key in ("phone", "whatsapp"):
        if cells.get(key):
            try:
                setattr(keys, key, numbers.check(key, cells[key]))
            except rules.Invalid as exc:
                keys.fail(key, str(exc))
    if cells.get("membership_id"):
        keys.membership_id = cells["membership_id"].upper()  # IDs compare without regard to case
    keys.name = fold_accents(" ".join(p for p in (squeeze(cells.get("first_name", "")),
                                                  squeeze(cells.get("last_name", ""))) if p))
    return keys


# ---- rows that can't both be imported ----------------------------------------------------------------------


def _rows_text(rows: list[int]) -> str:
    """ "row 7", "rows 7 and 9", "rows 3, 7 and 9"."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    return "rows " + ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"


def _fail_together(keys: list[RowKeys], indexes: list[int], column: str,
                   says: Callable[[str, int], str]) -> None:
    """Leave out each of these rows, naming the others: `says(their rows, how many)` is the message."""
    numbers = [i + 2 for i in indexes]  # the header is row 1
    for i in indexes:
        others = [n for n in numbers if n != i + 2]
        keys[i].fail(column, says(_rows_text(others).capitalize(), len(others)))


def find_duplicates(keys: list[RowKeys]) -> None:
    """Rows sharing an email (in any case) or a membership ID: each is left out, naming the others."""
    for attribute, what in (("email", "email"), ("membership_id", "membership ID")):
        seen: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(keys):
            value = getattr(row, attribute)
            if value:
                seen[value.lower()].append(i)
        for indexes in seen.values():
            if len(indexes) > 1:
                _fail_together(keys, indexes, attribute,
                               lambda rows, n: f"{rows} {'has' if n == 1 else 'have'} the same {what}")


# ---- matching -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """The shop's customers the rows' keys name: by lower-cased email, by phone number, by folded name."""

    by_email: dict[str, int]
    by_number: dict[str, list[NumberHolder]]
    by_name: dict[str, list[int]]


def match(keys: list[RowKeys]) -> None:
    """Find the customer each row updates: by email, else by phone number (never an anonymized customer).

    A number shared by several customers picks the one with the row's name; a customer with a different
    email is someone else. Rows without email or number can only be recognized as unchanged (the plan
    compares them with `candidates`). Two rows that would update the same customer are both left out.
    """
    by_email = _by_email(keys)
    known = _Known(by_email, _by_number(keys, by_email), _by_name(keys))
    claimed: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(keys):
        if row.broken or row.empty:
            continue
        if row.email and row.email.lower() in known.by_email:
            row.customer_id = known.by_email[row.email.lower()]
        elif row.phone or row.whatsapp:
            row.customer_id = _by_phone(row, known.by_number)
        elif row.name and row.without_contact():
            row.candidates = tuple(known.by_name.get(row.name, ()))
        if row.customer_id is not None:
            claimed[row.customer_id].append(i)
    for indexes in claimed.values():
        if len(indexes) > 1:
            _fail_together(keys, indexes, "", lambda rows, n: f"{rows} {'matches' if n == 1 else 'match'} the "
                                                              "same customer (by email or number): keep one row "
                                                              "per customer")
            for i in indexes:
                keys[i].customer_id = None


def _by_email(keys: list[RowKeys]) -> dict[str, int]:
    """The customers the rows' emails name (compared in lower case)."""
    found: dict[str, int] = {}
    for part in chunks(sorted({k.email.lower() for k in keys if k.email})):
        stmt = select(func.lower(Customer.email), Customer.id).where(func.lower(Customer.email).in_(part))
        found.update(db.session.execute(stmt).all())
    return found


def _by_number(keys: list[RowKeys], by_email: dict[str, int]) -> dict[str, list[NumberHolder]]:
    """Who holds the numbers of the rows that no email matched (anonymized customers are no one)."""
    numbers = sorted({n for k in keys if not (k.email and k.email.lower() in by_email)
                      for n in (k.phone, k.whatsapp) if n})
    found: dict[str, list[NumberHolder]] = defaultdict(list)
    for part in chunks(numbers):
        stmt = (select(Customer.id, Customer.phone, Customer.whatsapp, func.lower(Customer.email),
                       Customer.name_key)
                .where(Customer.anonymized_at.is_(None))
                .where(Customer.phone.in_(part) | Customer.whatsapp.in_(part)).order_by(Customer.id))
        for cid, phone, whatsapp, email, name_key in db.session.execute(stmt):
            for number in {phone, whatsapp}:
                if number:
                    found[number].append(NumberHolder(cid, email, name_key))
    return found


def _by_name(keys: list[RowKeys]) -> dict[str, list[int]]:
    """Customers without email or number who have the name of a row that has neither."""
    names = sorted({k.name for k in keys if k.name and k.without_contact()})
    found: dict[str, list[int]] = defaultdict(list)
    for part in chunks(names):
        stmt = (select(Customer.name_key, Customer.id).where(Customer.name_key.in_(part))
                .where(Customer.email.is_(None), Customer.phone.is_(None), Customer.whatsapp.is_(None)))
        for name_key, cid in db.session.execute(stmt):
            found[name_key].append(cid)
    return found


def _by_phone(row: RowKeys, by_number: dict[str, list[NumberHolder]]) -> int | None:
    """The customer a row's numbers name, or None; a problem on the row when several can't be told apart."""
    found: dict[int, NumberHolder] = {}
    for number in (row.phone, row.whatsapp):
        for holder in by_number.get(number or "", ()):
            found.setdefault(holder.customer_id, holder)
    if row.email:  # an email nobody has: a customer with another email is another person
        found = {cid: holder for cid, holder in found.items() if holder.email is None}
    if len(found) <= 1:
        return next(iter(found), None)
    named = [cid for cid, holder in found.items() if holder.name_key == row.name]
    if len(named) != 1:
        row.fail("phone" if row.phone else "whatsapp",
                 f"{len(found)} customers have this number: add the email to tell them apart")
        return None
    return named[0]


# ---- the stored customers ------------------------------------------------------------------------------------


def stored_customers(ids: Iterable[int]) -> dict[int, StoredCustomer]:
    """Stored values of some customers, with their address and membership, in one query."""
    ids = list(ids)
    if not ids:
        return {}
    c, a, m = Customer, Address, Membership
    consents = [getattr(c, f.column) for f in fields.CONSENTS]
    recorded = [getattr(c, f.recorded_at) for f in fields.CONSENTS]
    stmt = (select(c.id, c.first_name, c.last_name, c.email, c.phone, c.whatsapp, c.company_name, c.abn,
                   c.anonymized_at, a.id, a.street, a.city, a.state, a.postcode, a.country,
                   m.id, m.membership_id, m.expires_on, *consents, *recorded)
            .outerjoin(a, a.customer_id == c.id).outerjoin(m, m.customer_id == c.id).where(c.id.in_(ids)))
    out = {}
    for row in db.session.execute(stmt):
        values = {"first_name": row[1], "last_name": row[2], "email": row[3], "phone": row[4],
                  "whatsapp": row[5], "company_name": row[6], "abn": row[7],
                  **{f.key: bool(given) for f, given in zip(fields.CONSENTS, row[18:])}}
        address = DeliveryAddress(*row[10:15]) if row[9] is not None else None
        membership = HeldMembership(row[16], row[17]) if row[15] is not None else None
        at = tuple(zip((f.key for f in fields.CONSENTS), row[18 + len(fields.CONSENTS):]))
        out[row[0]] = StoredCustomer(row[0], values, row[8] is not None, address, membership, consented_at=at)
    return out
