"""Recording orders and changing their status; every change updates the customer's figures at once."""

import secrets
from datetime import datetime, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import ORDER_STATUSES, Customer, Order, OrderItem
from .shop import get_settings
from .stats import refresh_customer

# No order is older than this, from the checkout or by hand (and far older dates overflow in some time zones).
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)


def add_order(customer: Customer, order_number: str, placed_at: datetime, total: int, status: str = "paid",
              currency: str | None = None, note: str | None = None,
              items: list[tuple[str, int, int]] | None = None, *, channel: str = "checkout",
              payload_hash: str | None = None) -> Order:
    """Record an order (total in minor units; items as (name, quantity, unit price)) and refresh the figures.

    `channel` is "checkout" (the order API) or "manual" (recorded by hand); `payload_hash` is the API
    request's content hash that tells a retry from a clash.
    """
    if status not in ORDER_STATUSES:
        raise ValueError(f"unknown order status {status!r}")
    order = Order(order_number=order_number, customer=customer, placed_at=placed_at, total=total,
                  status=status, currency=currency or get_settings().currency, note=note, channel=channel,
                  payload_hash=payload_hash)
    for name, quantity, unit_price in items or []:
        order.items.append(OrderItem(name=name, quantity=quantity, unit_price=unit_price))
    db.session.add(order)
    refresh_customer(customer)
    return order


def set_status(order: Order, status: str) -> Order:
    """Mark an order paid, refunded or cancelled, moving the customer's figures and segment with it."""
    if status not in ORDER_STATUSES:
        raise ValueError(f"unknown order status {status!r}")
    order.status = status
    refresh_customer(order.customer)
    return order


def number_in_use(order_number: str) -> bool:
    """Whether an order already has this number (exactly as the unique index compares them)."""
    stmt = select(Order.id).where(Order.order_number == order_number).limit(1)
    return db.session.execute(stmt).first() is not None


def new_manual_number() -> str:
    """A number for an order recorded by hand, e.g. "H-7Q2K9D", that no order has."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no look-alikes: it may be read out over the phone
    while True:
        number = "H-" + "".join(secrets.choice(alphabet) for _ in range(6))
        if not number_in_use(number):
            return number
