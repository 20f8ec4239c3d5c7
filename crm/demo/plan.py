"""What a demo run decides before it writes a row: who signs up when, how many orders each customer places,
the ids to hand out, and the letters that mark this run's emails and order numbers."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..models import Address, Customer, Order, OrderItem
from ..services.shop import get_settings
from .bulk import next_id, time_storer
from .people import Pools, pools

PERIOD = timedelta(days=3 * 365)  # how far back customers go


@dataclass
class Run:
    """What one run has decided up front; the row builders read it and never touch the database."""

    rng: random.Random
    pools: Pools
    token: str
    now: datetime  # naive UTC, like every time below
    stored: Callable[[datetime], object]
    created: list[datetime]
    counts: list[int]
    first_customer: int
    first_address: int
    first_order: int
    first_item: int
    currency: str
    order_median: float


def plan(count: int, orders_per_customer: float, seed: int) -> Run:
    """Sign-up times oldest first, orders per customer by seniority, and the shop's currency and amounts."""
    rng = random.Random(seed)
    settings = get_settings()
    # Naive UTC throughout: it is what UTCDateTime columns hold, and it saves a conversion per value.
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    # Oldest first, so ids grow with created_at as in a real shop; a power skews towards recent sign-ups.
    ages = sorted((PERIOD.total_seconds() * rng.random() ** 1.4 + 3600 for _ in range(count)), reverse=True)
    # Older customers have had longer to order; the noise keeps some new big spenders and old prospects.
    by_seniority = sorted(range(count), key=lambda i: -ages[i] * rng.lognormvariate(0, 1.0))
    counts = [0] * count
    for i, n in zip(by_seniority, order_counts(rng, count, orders_per_customer)):
        counts[i] = n
    return Run(
        rng=rng, pools=pools(seed), token=_run_token(rng), now=now, stored=time_storer(),
        created=[now - timedelta(seconds=int(age)) for age in ages], counts=counts,
        first_customer=next_id(Customer), first_address=next_id(Address), first_order=next_id(Order),
        first_item=next_id(OrderItem), currency=settings.currency,
        # Amounts follow the VIP threshold (median order 6% of it: $60 at the default $1,000), so every
        # segment fills whatever the shop's currency or threshold.
        order_median=settings.vip_threshold * 0.06,
    )


def _run_token(rng: random.Random) -> str:
    """Letters that mark this run's emails and order numbers, used by no earlier row."""
    while True:
        token = "".join(rng.choice(string.ascii_lowercase) for _ in range(4))
        # Letters only, so LIKE needs no escaping; a clash (an earlier run, a real customer) means pick again.
        email_clash = db.session.scalar(
            select(Customer.id).where(func.lower(Customer.email).like(f"%.{token}%@%")).limit(1))
        order_clash = db.session.scalar(
            select(Order.id).where(Order.order_number.like(f"D{token.upper()}-%")).limit(1))
        if email_clash is None and order_clash is None:
            return token


def order_counts(rng: random.Random, count: int, mean: float) -> list[int]:
    """Orders per customer, long-tailed, summing to round(mean * count); biggest counts first."""
    total = round(mean * count)
    zero, single = round(0.2 * count), round(0.3 * count)
    multi = count - zero - single
    base = single + 2 * multi
    if total >= base:
        # Pareto weights share out the rest; the cap stops one customer taking a visible slice of the shop.
        weights = [min(rng.paretovariate(1.5), 60.0) for _ in range(multi)]
        extra, weight_sum = total - base, sum(weights)
        shares = [int(extra * w / weight_sum) for w in weights]
        for i in rng.sample(range(multi), extra - sum(shares)):
            shares[i] += 1
        counts = [2 + s for s in shares] + [1] * single + [0] * zero
    else:
        # Too few orders for the usual mix: fewer repeat buyers first, then fewer one-off buyers.
        repeat = max(0, min(multi, (total - single) // 2))
        ones = min(total - 2 * repeat, count - repeat)
        counts = [2] * repeat + [1] * ones + [0] * (count - repeat - ones)
        counts[0] += total - sum(counts)
    counts.sort(reverse=True)
    return counts

