"""Demo orders: each customer's orders spread from their sign-up to now, with 1-3 items adding up to each
total, ready for the bulk writer."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import timedelta

from .plan import Run

ORDER_BATCH = 25_000
PRODUCTS = (
    "Merino wool beanie", "Linen tote bag", "Ceramic pour-over set", "Bamboo toothbrush 4-pack",
    "Soy wax candle", "Organic cotton tee", "Stainless steel bottle", "Leather card holder",
    "Kaya jam gift box", "Batik silk scarf", "Rattan coaster set", "Beeswax food wraps",
    "Macadamia granola", "Wattleseed chocolate", "Pandan chiffon mix", "Sambal paste jar",
    "Eucalyptus hand cream", "Tea tree face wash", "Kopi beans 500 g", "Sencha green tea",
    "Yoga mat", "Running socks 3-pack", "Canvas sneakers", "Swimmers", "Sun hat", "Thongs",
    "Phone case", "USB-C cable", "Wireless earbuds", "Desk lamp", "Notebook A5", "Fountain pen",
    "Kids' puzzle", "Plush koala", "Songket cushion cover", "Durian biscuits", "Gift card",
)
ORDER_NOTES = ("Gift wrap please", "Leave at the front door", "Please call on arrival", "Birthday present",
               "Sila hantar selepas 6 petang")

N_PRODUCTS = len(PRODUCTS)
ORDER_COLUMNS = ("id", "order_number", "customer_id", "placed_at", "status", "currency", "total", "note",
                 "created_at", "updated_at")
ITEM_COLUMNS = ("id", "order_id", "name", "quantity", "unit_price")
TWO_DAYS = timedelta(days=2)


def order_batches(run: Run) -> Iterator[tuple[list[tuple], list[tuple], int]]:
    """Order rows and their item rows, a batch at a time, with how many orders so far."""
    maker = _OrderMaker(run)
    orders: list[tuple] = []
    items: list[tuple] = []
    for index, n_orders in enumerate(run.counts):
        if not n_orders:
            continue
        maker.add(index, n_orders, orders, items)
        if len(orders) >= ORDER_BATCH:
            yield orders, items, maker.done
            orders, items = [], []
    if orders:
        yield orders, items, maker.done


class _OrderMaker:
    """Makes one customer's orders at a time, numbering them and handing out order and item ids."""

    def __init__(self, run: Run):
        """Work out what every order of the run shares."""
        self.run = run
        self.order_id, self.item_id, self.done = run.first_order, run.first_item, 0
        self.width = max(6, len(str(sum(run.counts))))  # fixed width keeps order numbers sorting like numbers
        self.prefix = f"D{run.token.upper()}-"
        self.log_median = math.log(run.order_median)
        self.smallest = max(1, round(run.order_median / 60))  # $1.00 at the default threshold

    def add(self, index: int, n_orders: int, orders: list[tuple], items: list[tuple]) -> None:
        """Append the orders of the run's `index`th customer, and their items."""
        run = self.run
        rng, now, stored, currency = run.rng, run.now, run.stored, run.currency
        rand, gauss, choice, exp = rng.random, rng.gauss, rng.choice, math.exp
        order_id, item_id, done = self.order_id, self.item_id, self.done
        prefix, width, smallest = self.prefix, self.width, self.smallest
        customer_id = run.first_customer + index
        since = run.created[index]
        span = (now - since).total_seconds() - 2
        # Each customer spends at their own level, so lifetime spend varies more than order counts.
        log_level = self.log_median + gauss(0, 0.5)
        for offset in sorted([rand() for _ in range(n_orders)]):
            placed = since + timedelta(seconds=int(1 + offset * span))
            placed_at = stored(placed)
            roll = rand()
            status = "paid" if roll < 0.92 else "refunded" if roll < 0.97 else "cancelled"
            total = max(smallest, int(exp(log_level + gauss(0, 0.9))))
            done += 1
            orders.append((
                order_id, f"{prefix}{done:0{width}d}", customer_id, placed_at, status, currency, total,
                choice(ORDER_NOTES) if rand() < 0.02 else None, placed_at,
                placed_at if status == "paid" else stored(min(now, placed + TWO_DAYS)),
            ))
            item_id = _add_items(rand, items, item_id, order_id, total)
            order_id += 1
        self.order_id, self.item_id, self.done = order_id, item_id, done


def _add_items(rand: Callable[[], float], items: list[tuple], item_id: int, order_id: int, total: int) -> int:
    """Append an order's 1-3 item rows adding up to its total; the next free item id."""
    # Earlier lines take a share at a whole unit price; the last line absorbs what is left.
    shape = rand()
    left = total
    for _ in range(0 if shape < 0.55 else 1 if shape < 0.85 else 2):
        quantity = 1 if rand() < 0.75 else 2 + (rand() < 0.5)
        unit = int(left * (0.2 + 0.5 * rand())) // quantity
        items.append((item_id, order_id, PRODUCTS[int(rand() * N_PRODUCTS)], quantity, unit))
        left -= unit * quantity
        item_id += 1
    items.append((item_id, order_id, PRODUCTS[int(rand() * N_PRODUCTS)], 1, left))
    return item_id + 1
