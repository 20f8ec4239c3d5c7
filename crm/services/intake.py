"""Orders from the checkout (the order API): finding or adding the customer, recording each order once, and
changing an order's status. What was sent is read and checked first, in order_payload.

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

from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import select

from ..customers import writer
from ..customers.writer import Actor, Consent
from ..extensions import db
from ..models import Customer, Order
from . import audit, money, orders, profiles, tags, tokens
from .order_payload import CustomerData, OrderData
from .serial import advisory_lock, lock_segment_counts
from .shop import get_settings

AT_CHECKOUT = Consent("order")  # a consent the checkout sent (the profile says "given at checkout")


class Conflict(Exception):
    """The order number is taken by an order with other content."""


class UnknownOrder(LookupError):
    """No order has this number."""


@dataclass(frozen=True)
class Outcome:
    """What became of a posted order: `created` False for a retry of an order already recorded."""

    order_number: str
    customer_id: int
    customer_created: bool
    created: bool


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
        customer = writer.create(data.customer.values(), source="order", actor=Actor(actor), consent=AT_CHECKOUT,
                                 detail=f"Added from checkout order {data.order_number}")
    else:
        # A known customer gets only what they lack: nothing the owner typed is overwritten, and a consent
        # only if they have never answered it.
        customer = _lock_customer(customer)
        writer.update(customer, data.customer.values(), actor=Actor(actor), consent=AT_CHECKOUT, only_empty=True)
    for name in data.customer.tags:  # added to the customer's, never replacing them
        tags.add(customer, tags.get_or_create(name), None, actor=actor)
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
