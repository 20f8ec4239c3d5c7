"""Insights: who the best customers are, how the shop grows and where its customers live, counted in SQL.

Everything is read from figures kept elsewhere, so the page costs a handful of index reads at any size: the
customers' lifetime figures (crm.services.stats), the per-segment counts and the per-place counts the
database triggers keep (SegmentCount, LocationCount), and for months already over, a cache of who paid in
each (InsightMonth) that order changes clear.

New and returning, for any stretch of time (a period ending now, or a calendar month): of the customers
who placed a paid order in it, *returning* ones have at least two paid orders placed by its end (they came
back, before or during it); *new* ones have exactly one, and it falls in the stretch. Together they are the
customers who ordered in it. Over all time that is one paid order against two or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import ALL_SEGMENTS, Address, Customer, InsightMonth, LocationCount, Order, SegmentCount, utcnow
from . import segments

PERIODS = {"30d": _l("30 days"), "90d": _l("90 days"), "12m": _l("12 months"), "all": _l("All time")}
DEFAULT_PERIOD = "30d"
LEVELS = {"city": _l("City"), "state": _l("State"), "country": _l("Country")}
DEFAULT_LEVEL = "city"
TOP_PLACES = 10
MONTHS = 12
# Order changes clear the cached months they touch; this bounds what a change racing a recount could leave.
# The worker recounts every night, so a day and a half leaves room for a late run.
MONTH_CACHE_AGE = timedelta(hours=36)


def clean_period(value: str | None) -> str:
    """A period key from the URL, or the default for anything else."""
    return value if value in PERIODS else DEFAULT_PERIOD


def clean_level(value: str | None) -> str:
    """A place level from the URL, or the default for anything else."""
    return value if value in LEVELS else DEFAULT_LEVEL


def period_start(period: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When a period ending now began: 30 or 90 days ago, the same moment a year ago, or None for all time."""
    if period == "all":
        return None
    if period == "12m":
        local = now.astimezone(zone)
        day = min(local.day, 28) if local.month == 2 else local.day  # 29 February has no twin a year back
        return local.replace(year=local.year - 1, day=day).astimezone(timezone.utc)
    return now - timedelta(days=int(period[:-1]))


@dataclass(frozen=True)
class SegmentSplit:
    """How many customers each segment has, and of how many in all."""

    counts: dict[str, int]
    total: int

    def share(self, segment: str) -> float:
        """The segment's part of all customers, 0.0 to 1.0 (0.0 for a shop without customers)."""
        return self.counts[segment] / self.total if self.total else 0.0


@dataclass(frozen=True)
class LifetimeValue:
    """Lifetime paid spend and the customers with at least one paid order; the average is spend per customer."""

    spent: int  # minor units
    customers: int

    @property
    def average(self) -> int | None:
        """Average lifetime value in minor units, rounded half up; None while nobody has paid."""
        if not self.customers:
            return None
        return (2 * self.spent + self.customers) // (2 * self.customers)


@dataclass(frozen=True)
class NewVsReturning:
    """Customers who ordered in a stretch of time, split into new and returning (module docstring)."""

    new: int
    returning: int

    @property
    def customers(self) -> int:
        """Everyone who placed a paid order in the stretch."""
        return self.new + self.returning

    @property
    def returning_share(self) -> float | None:
        """Returning customers' part of those who ordered, 0.0 to 1.0; None when nobody ordered."""
        return self.returning / self.customers if self.customers else None


@dataclass(frozen=True)
class Month:
    """New and returning customers in one month of the shop's calendar."""

    first_day: datetime  # local midnight starting the month, in the shop's time zone
    figures: NewVsReturning
    to_date: bool  # the current month, counted so far


@dataclass(frozen=True)
class Place:
    """A city (with its state and country), a state (with its country) or a country, with its customers."""

    level: str
    country: str
    state: str
    city: str
    customers: int
    spent: int  # lifetime paid spend of its customers, minor units

    def args(self) -> dict:
        """The customer list's URL arguments for this place."""
        return {k: v for k, v in (("country", self.country), ("state", self.state), ("city", self.city)) if v}


def segment_split() -> SegmentSplit:
    """Customers per segment, from the counts the triggers keep."""
    counts = {key: 0 for key in segments.keys()}
    rows = db.session.execute(select(SegmentCount.segment, SegmentCount.customers))
    counts.update((key, customers) for key, customers in rows if key in counts)
    return SegmentSplit(counts, sum(counts.values()))


def lifetime_value() -> LifetimeValue:
    """All paid spend and how many customers have paid at all (both from the customers' kept figures)."""
    spent = db.session.scalar(select(func.coalesce(func.sum(Customer.total_spent), 0)))
    customers = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.order_count > 0))
    return LifetimeValue(int(spent), customers)


def top_customers(limit: int = 5) -> list[Customer]:
    """The customers who have spent the most, biggest first (read backwards along the lifetime-spend index)."""
    return list(db.session.scalars(
        select(Customer).where(Customer.total_spent > 0)
        .order_by(Customer.total_spent.desc(), Customer.id.desc()).limit(limit)))


def _ordered_since(start: datetime | None) -> NewVsReturning:
    """New and returning for a stretch that ends now, from the customers' first and last paid orders."""
    if start is None:
        active = Customer.order_count > 0
        new = Customer.order_count == 1
    else:
        active = Customer.last_order_at >= start
        new = (Customer.first_order_at >= start) & (Customer.order_count == 1)  # one order: first is last
    customers = db.session.scalar(select(func.count()).select_from(Customer).where(active))
    new_count = db.session.scalar(select(func.count()).select_from(Customer).where(new))
    return NewVsReturning(new_count, customers - new_count)


def new_vs_returning(period: str, now: datetime, zone: ZoneInfo) -> NewVsReturning:
    """New and returning customers in a period ending now."""
    return _ordered_since(period_start(period, now, zone))


def month_starts(now: datetime, zone: ZoneInfo, months: int = MONTHS) -> list[datetime]:
    """Local midnights starting the last `months` months of the shop's calendar, oldest first, this one last."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    starts = []
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=zone))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _count_month(starts_at: datetime, ends_at: datetime) -> NewVsReturning:
    """New and returning in one month that is over, read from its paid orders."""
    customers = db.session.scalar(
        select(func.count(func.distinct(Order.customer_id)))
        .where(Order.status == "paid", Order.placed_at >= starts_at, Order.placed_at < ends_at))
    paid_by_end = (select(func.count()).select_from(Order)
                   .where(Order.customer_id == Customer.id, Order.status == "paid", Order.placed_at < ends_at)
                   .scalar_subquery())
    first_in_month = (Customer.first_order_at >= starts_at, Customer.first_order_at < ends_at)
    # Customers with one paid order ever are new in its month; others only if nothing else was paid by its end.
    one_order = db.session.scalar(
        select(func.count()).select_from(Customer).where(Customer.order_count == 1, *first_in_month))
    came_back_later = db.session.scalar(
        select(func.count()).select_from(Customer).where(Customer.order_count > 1, *first_in_month,
                                                         paid_by_end == 1))
    new = one_order + came_back_later
    return NewVsReturning(new, customers - new)


def _store_month(zone_name: str, starts_at: datetime, ends_at: datetime, figures: NewVsReturning) -> None:
    """Cache a counted month; a month another worker stored meanwhile is replaced by this count."""
    values = {"zone": zone_name, "starts_at": starts_at, "ends_at": ends_at, "customers": figures.customers,
              "new_customers": figures.new, "computed_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = upsert(InsightMonth).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["zone", "starts_at"],
        set_={k: stmt.excluded[k] for k in ("ends_at", "customers", "new_customers", "computed_at")})
    db.session.execute(stmt)


def _closed_months(now: datetime, zone: ZoneInfo, months: int) -> tuple[list[datetime], list[datetime]]:
    """The local first days of the last `months` months (this one last) and the same moments in UTC."""
    starts = month_starts(now, zone, months)
    return starts, [start.astimezone(timezone.utc) for start in starts]


def by_month(now: datetime, zone: ZoneInfo, months: int = MONTHS) -> list[Month]:
    """New and returning customers in each of the last `months` months, this month so far included.

    Only reads: months that are over come from the cache (filled by `refresh_months`, which the task worker
    runs after midnight and at start-up), counted from the orders in memory when missing or older than
    MONTH_CACHE_AGE; the current month, like a period, from the customers' first and last paid orders.
    """
    starts, utc_starts = _closed_months(now, zone, months)
    fresh = now - MONTH_CACHE_AGE
    cached = {row.starts_at: row for row in db.session.scalars(
        select(InsightMonth).where(InsightMonth.zone == zone.key, InsightMonth.starts_at.in_(utc_starts[:-1]),
                                   InsightMonth.computed_at >= fresh))}
    result = []
    for first_day, starts_at, ends_at in zip(starts, utc_starts, utc_starts[1:]):
        row = cached.get(starts_at)
        if row is not None and row.ends_at == ends_at:
            figures = NewVsReturning(row.new_customers, row.customers - row.new_customers)
        else:
            figures = _count_month(starts_at, ends_at)
        result.append(Month(first_day, figures, to_date=False))
    result.append(Month(starts[-1], _ordered_since(utc_starts[-1]), to_date=True))
    return result


def refresh_months(now: datetime, zone: ZoneInfo, months: int = MONTHS) -> int:
    """Count each month of the window that is over from the orders and keep it in the cache, so no page view
    pays for it; return how many months were counted (the caller commits)."""
    _starts, utc_starts = _closed_months(now, zone, months)
    for starts_at, ends_at in zip(utc_starts, utc_starts[1:]):
        _store_month(zone.key, starts_at, ends_at, _count_month(starts_at, ends_at))
    return len(utc_starts) - 1


def _named(level: str):
    """The condition that a place of this level has a name (addresses may leave city or state empty)."""
    column = {"city": LocationCount.city, "state": LocationCount.state, "country": LocationCount.country}[level]
    return column != ""


# The rows counting all of a place's customers. Written out in the SQL, not bound, so SQLite sees that the
# query matches the partial indexes the rankings walk (ix_location_count_customers, ix_location_count_spent).
EVERY_SEGMENT = LocationCount.segment == literal(ALL_SEGMENTS, literal_execute=True)


def top_places(level: str, by: str, limit: int = TOP_PLACES) -> list[Place]:
    """The places of a level with the most customers (`by="customers"`) or the most lifetime spend ("spent")."""
    column = LocationCount.customers if by == "customers" else LocationCount.spent
    rows = db.session.scalars(
        select(LocationCount).where(LocationCount.level == level, EVERY_SEGMENT, column > 0, _named(level))
        .order_by(column.desc(), LocationCount.country, LocationCount.state, LocationCount.city).limit(limit))
    return [Place(r.level, r.country, r.state, r.city, r.customers, r.spent) for r in rows]


def rebuild_location_counts() -> None:
    """Count every place's customers again from the addresses (repairs the kept counts after manual SQL).

    Per place, a row for each segment its customers are in and one for all of them (ALL_SEGMENTS).
    """
    db.session.execute(delete(LocationCount))
    blank = literal("")
    columns = ["level", "country", "state", "city", "segment", "customers", "spent"]
    for level, parts in (("city", (Address.state, Address.city)), ("state", (Address.state, blank)),
                         ("country", (blank, blank))):
        place = [Address.country, *(part for part in parts if part is not blank)]
        for segment, group in ((literal(ALL_SEGMENTS), place), (Customer.segment, [*place, Customer.segment])):
            rows = (select(literal(level), Address.country, *parts, segment, func.count(),
                           func.coalesce(func.sum(Customer.total_spent), 0))
                    .join(Customer, Customer.id == Address.customer_id).group_by(*group))
            db.session.execute(insert(LocationCount).from_select(columns, rows))
