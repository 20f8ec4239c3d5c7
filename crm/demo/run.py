"""A demo run from start to end: plan it, write customers and then orders in batches, count the figures."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..extensions import db
from ..models import Address, Customer, Order, OrderItem
from ..services.stats import recompute_all
from .bulk import BulkWriter, reset_sequences, sqlite_cache
from .customers import ADDRESS_COLUMNS, CUSTOMER_COLUMNS, customer_batches
from .orders import ITEM_COLUMNS, ORDER_COLUMNS, order_batches
from .plan import Run, plan


@dataclass(frozen=True)
class DemoResult:
    """How many customers and orders a demo run created."""

    customers: int
    orders: int


def generate(count: int, orders_per_customer: float = 10.0, seed: int | None = None,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    """Add `count` demo customers and about `orders_per_customer` orders each; call inside an app context."""
    say = progress or (lambda _msg: None)
    seed = random.randrange(2**32) if seed is None else seed
    run = plan(count, orders_per_customer, seed)
    with sqlite_cache():
        _write(run, customer_batches(run), _Progress(say, "customers", count),
               (Customer, CUSTOMER_COLUMNS), (Address, ADDRESS_COLUMNS))
        ordered = _write(run, order_batches(run), _Progress(say, "orders", sum(run.counts)),
                         (Order, ORDER_COLUMNS), (OrderItem, ITEM_COLUMNS))
        say("figures")
        recompute_all()
    reset_sequences()
    db.session.commit()
    return DemoResult(customers=count, orders=ordered)


def _write(run: Run, batches: Iterator[tuple], report: Callable[[int], None], *tables: tuple) -> int:
    """Insert each batch's rows into the (model, columns) tables in turn; how many were written in the end."""
    writers = [BulkWriter(model, columns, run.stored) for model, columns in tables]
    done = 0
    for *rows, done in batches:
        for writer, batch in zip(writers, rows):
            writer.write(batch)
        report(done)
    return done


class _Progress:
    """Reports a count about every tenth of the way, and at the end."""

    def __init__(self, say: Callable[[str], None], what: str, total: int):
        """Report `what` out of `total` through `say`."""
        self.say, self.what, self.total = say, what, total
        self.step = max(1, total // 10)
        self.next = self.step

    def __call__(self, done: int) -> None:
        """Note that `done` have been written."""
        if done >= self.next or done == self.total:
            self.say(f"{self.what} {done:,}")
            self.next = (done // self.step + 1) * self.step
