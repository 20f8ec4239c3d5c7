"""Orders and their lines; only paid orders count towards a customer's lifetime figures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .customers import Customer

ORDER_STATUSES = ("paid", "cancelled", "refunded")


class Order(db.Model):
    """An order placed by a customer; only paid orders count towards the lifetime figures."""

    __tablename__ = "order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="paid")
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)  # minor units
    note: Mapped[str | None] = mapped_column(Text)
    # "checkout" (the order API) or "manual" (recorded by hand on the profile).
    channel: Mapped[str] = mapped_column(String(10), default="checkout", server_default="checkout")
    # sha256 of the API request's content, so a retry (same content) and a clash (different content) under
    # the same order number can be told apart.
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    __table_args__ = (
        CheckConstraint(values_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("total >= 0", name="total"),
        Index("ix_order_customer_placed_at", "customer_id", "placed_at"),
        Index("ix_order_placed_at", "placed_at"),
        # Insights: who paid in a month, read from the index alone.
        Index("ix_order_paid_placed_at", "placed_at", "customer_id",
              sqlite_where=text("status = 'paid'"), postgresql_where=text("status = 'paid'")),
    )


class OrderItem(db.Model):
    """One line of an order."""

    __tablename__ = "order_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[int] = mapped_column(BigInteger)  # minor units

    order: Mapped[Order] = relationship(back_populates="items")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)
