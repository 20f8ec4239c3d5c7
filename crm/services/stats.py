"""The one service that owns a customer's lifetime figures (paid orders only) and keeps segments right.

Every change to a customer's orders calls `refresh_customer` in the same transaction, so the list can
count, sort and page on plain indexed columns instead of aggregating orders per request.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Customer, Order, SegmentCount
from . import segments
from .segments import Standing, segment_for
from .shop import get_settings

FIGURES = ("order_count", "total_spent", "first_order_at", "last_order_at", "segment")


@dataclass(frozen=True)
class Figures:
    """A customer's lifetime figures as the orders say they are."""

    order_count: int
    total_spent: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    segment: str


@dataclass(frozen=True)
class Mismatch:
    """A stored figure that disagreed with the orders."""

    customer_id: int
    field: str
    stored: object
    actual: object


def _paid_aggregate(*group_columns):
    return select(
        *group_columns,
        func.count(Order.id).label("order_count"),
        func.coalesce(func.sum(Order.total), 0).label("total_spent"),
        func.min(Order.placed_at).label("first_order_at"),
        func.max(Order.placed_at).label("last_order_at"),
    ).where(Order.status == "paid")


def figures_for(customer_id: int, shop) -> Figures:
    """Compute one customer's figures from their paid orders (and so their segment in this shop)."""
    row = db.session.execute(_paid_aggregate().where(Order.customer_id == customer_id)).one()
    standing = Standing(int(row.order_count), int(row.total_spent), row.first_order_at, row.last_order_at)
    return Figures(standing.order_count, standing.total_spent, standing.first_order_at, standing.last_order_at,
                   segment_for(standing, shop))


def refresh_customer(customer: Customer) -> Figures:
    """Bring one customer's stored figures and segment in line with their orders (call after any order change)."""
    db.session.flush()  # the aggregate must see orders added or changed in this transaction
    figures = figures_for(customer.id, get_settings())
    for name in FIGURES:
        setattr(customer, name, getattr(figures, name))
    return figures


def recompute_all(batch: int = 5000) -> list[Mismatch]:
    """Rebuild every customer's figures from the orders; return the stored values that were wrong."""
    shop = get_settings()
    paid = _paid_aggregate(Order.customer_id.label("customer_id")).group_by(Order.customer_id).subquery()
    query = (
        select(
            Customer.id,
            Customer.order_count,
            Customer.total_spent,
            Customer.first_order_at,
            Customer.last_order_at,
            Customer.segment,
            paid.c.order_count.label("a_count"),
            paid.c.total_spent.label("a_total"),
            paid.c.first_order_at.label("a_first"),
            paid.c.last_order_at.label("a_last"),
        )
        .outerjoin(paid, paid.c.customer_id == Customer.id)
        .order_by(Customer.id)
    )
    mismatches: list[Mismatch] = []
    fixes: list[dict] = []
    for row in db.session.execute(query).yield_per(batch):
        standing = Standing(int(row.a_count or 0), int(row.a_total or 0), row.a_first, row.a_last)
        actual = {
            "order_count": standing.order_count,
            "total_spent": standing.total_spent,
            "first_order_at": standing.first_order_at,
            "last_order_at": standing.last_order_at,
            "segment": segment_for(standing, shop),
        }
        wrong = [f for f in FIGURES if getattr(row, f) != actual[f]]
        if wrong:
            mismatches.extend(Mismatch(row.id, f, getattr(row, f), actual[f]) for f in wrong)
            fixes.append({"id": row.id, **actual})
    for start in range(0, len(fixes), batch):
        db.session.execute(update(Customer), fixes[start : start + batch])
    return mismatches


def recompute_segment_counts() -> list[Mismatch]:
    """Check the kept per-segment counts against the customers; fix and return any that were wrong.

    A segment that has no count row yet (one just added to the registry) gets one.
    """
    db.session.flush()
    actual = dict(db.session.execute(select(Customer.segment, func.count()).group_by(Customer.segment)).all())
    kept = {row.segment: row for row in db.session.scalars(select(SegmentCount))}
    for key in set(segments.keys()) | set(actual):
        if key not in kept:
            kept[key] = SegmentCount(segment=key, customers=0)
            db.session.add(kept[key])
    wrong = []
    for key, row in sorted(kept.items()):
        if row.customers != actual.get(key, 0):
            wrong.append(Mismatch(0, f"segment count {key}", row.customers, actual.get(key, 0)))
            row.customers = actual.get(key, 0)
    return wrong
