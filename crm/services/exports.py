"""CSV exports of customers: the contract's columns, streamed in id order so memory stays flat at any size.

The file is UTF-8 with a byte order mark (so spreadsheet programs read accents right), one header row, dates
and times in ISO 8601 (times in UTC, marked Z), money as plain decimals in the shop currency ("1100.00"),
true/false for consent, and segment and source as their codes. A text cell that a spreadsheet would run as
a formula (starting with =, +, -, @, a tab or a carriage return) gets a single quote in front: phone
numbers in E.164 read '+61412345678, and the importer takes the quote off again (see `guard`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import Select, func, select

from ..customers.fields import FIELDS
from ..extensions import db
from ..models import Address, Customer, CustomerTag, Membership, Tag
from . import segments
from .customers import ListQuery, Location, filter_conditions, location_filter, search_filter
from .filters import Filters
from .money import to_decimal

# The registry's fields, named by their keys: the profile's first, then the shop's figures, then consent.
PROFILE_FIELDS = tuple(f for f in FIELDS if f.part != "consent")
CONSENT_FIELDS = tuple(f for f in FIELDS if f.part == "consent")
FIGURES = ("segment", "order_count", "total_spent", "last_order_at")
# The customer's tags come last, their names joined by "; " (the import reads them back as the same tags).
COLUMNS = ("id", *(f.key for f in PROFILE_FIELDS), *FIGURES, *(f.key for f in CONSENT_FIELDS), "source",
           "created_at", "tags")
TAG_SEPARATOR = "; "
_TABLES = {"customer": Customer, "consent": Customer, "address": Address, "membership": Membership}
BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
# After the guard quote, what shows that the quote was put there by `guard`: a formula start, or another quote.
_GUARDED = (*FORMULA_STARTS, GUARD)
BOM = "\ufeff"


@dataclass(frozen=True)
class ExportFilter:
    """Which customers an export holds: a segment tab, a search, a place, the panel's filters, and whether only
    those who consented."""

    segment: str = "all"
    q: str = ""
    location: Location = field(default_factory=Location)
    consent_only: bool = False  # email-marketing consent given, and an email address to send to
    filters: Filters = field(default_factory=Filters)
    ids: Select | None = None  # only these customers (a bulk action's selection)

    @classmethod
    def of(cls, query: ListQuery, consent_only: bool = False) -> ExportFilter:
        """The customers a list view shows (its tab, search, place and filters; every page)."""
        return cls(query.segment, query.q, query.location, consent_only, query.filters)

    @property
    def query(self) -> ListQuery:
        """The list view this export follows."""
        return ListQuery(self.segment, self.q, location=self.location, filters=self.filters)

    @property
    def segment_label(self) -> str:
        """The segment as the tabs name it ("All customers" for every segment)."""
        return segments.label(self.segment, "All customers")


def _conditions(which: ExportFilter, region: str) -> list:
    """The SQL conditions for a filter (an unknown segment means all)."""
    conditions = []
    if which.segment in segments.by_key():
        conditions.append(Customer.segment == which.segment)
    search = search_filter(which.q, region, db.session.get_bind().dialect.name)
    if search is not None:
        conditions.append(search)
    if which.location:
        # Batches walk customers in id order, so each tests its own address: no set of ids built per batch.
        conditions.append(location_filter(which.location, walk=True))
    # The list's own filter conditions, as matching_ids reads them.
    conditions += filter_conditions(which.query)
    if which.ids is not None:
        conditions.append(Customer.id.in_(which.ids))
    if which.consent_only:
        conditions += [Customer.email_marketing.is_(True), Customer.email.is_not(None), Customer.email != ""]
    return conditions


def count(which: ExportFilter, region: str) -> int:
    """How many customers an export with this filter holds (as it starts)."""
    return db.session.scalar(select(func.count()).select_from(Customer).where(*_conditions(which, region)))


def guard(value: str) -> str:
    """A text cell that a spreadsheet can't run as a formula, and that `unguard` reads back as `value`.

    A value starting with a formula character gets a quote in front. So does a value that already starts with
    a quote followed by a formula character or another quote ("'=1+1"), or unguard would take its own quote
    off. Any other text, "'Tis" and "O'Brien" too, is written as it is.
    """
    if value.startswith(FORMULA_STARTS) or (value.startswith(GUARD) and value[1:].startswith(_GUARDED)):
        return GUARD + value
    return value


def unguard(cell: str) -> str:
    """A cell's value with the guard's quote taken off: unguard(guard(v)) == v for every string v.

    Only a quote followed by a formula character or another quote is the guard's; a file crm didn't write
    keeps its "'Tis" as it is.
    """
    return cell[1:] if cell.startswith(GUARD) and cell[1:].startswith(_GUARDED) else cell


def _when(value: datetime | None) -> str:
    """A stored UTC time as ISO 8601 with Z, to the second."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _day(value: date | None) -> str:
    """A date as ISO 8601."""
    return value.isoformat() if value else ""


def _cell(value: object) -> str:
    """A field's stored value as it goes into a cell: dates ISO, consent true/false, text guarded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return _day(value)
    return guard(value) if value else ""


def _record(row, currency: str, tags: dict[int, list[str]]) -> list[str]:
    """One customer's cells in COLUMNS order (`tags`: the batch's tag names by customer)."""
    return [
        str(row.id), *(_cell(row[i]) for i in range(1, 1 + len(PROFILE_FIELDS))), row.segment,
        str(row.order_count), f"{to_decimal(row.total_spent, currency):f}", _when(row.last_order_at),
        *(_cell(bool(row._mapping[f.key])) for f in CONSENT_FIELDS), row.source, _when(row.created_at),
        guard(TAG_SEPARATOR.join(tags.get(row.id, ()))),
    ]


def _tags_of(ids: list[int]) -> dict[int, list[str]]:
    """The tag names of a batch of customers, each customer's by name (one query a batch)."""
    held: dict[int, list[str]] = {}
    stmt = (select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
            .where(CustomerTag.customer_id.in_(ids)).order_by(CustomerTag.customer_id, Tag.name_key))
    for customer_id, name in db.session.execute(stmt):
        held.setdefault(customer_id, []).append(name)
    return held


def _columns() -> list:
    """What each row reads, in COLUMNS order: the id, every field from its table, the figures, source, time."""
    def column(field):
        return getattr(_TABLES[field.part], field.column).label(field.key)

    return [Customer.id, *(column(f) for f in PROFILE_FIELDS), Customer.segment, Customer.order_count,
            Customer.total_spent, Customer.last_order_at, *(column(f) for f in CONSENT_FIELDS),
            Customer.source, Customer.created_at]


def rows(which: ExportFilter, region: str, currency: str, batch: int = BATCH) -> Iterator[str]:
    """The CSV file as text chunks: BOM and header, then one chunk per batch of customers read in id order.

    Each batch is a keyset query (`id > last id seen`), so no offset is walked and no more than one batch is
    held in memory however many customers there are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    conditions = _conditions(which, region)
    stmt = (select(*_columns())
            .outerjoin(Address, Address.customer_id == Customer.id)
            .outerjoin(Membership, Membership.customer_id == Customer.id)
            .where(*conditions).order_by(Customer.id).limit(batch))
    last_id = 0
    while True:
        found = db.session.execute(stmt.where(Customer.id > last_id)).all()
        if not found:
            return
        buffer.seek(0)
        buffer.truncate()
        tags = _tags_of([row.id for row in found])
        writer.writerows(_record(row, currency, tags) for row in found)
        yield buffer.getvalue()
        if len(found) < batch:
            return
        last_id = found[-1].id
