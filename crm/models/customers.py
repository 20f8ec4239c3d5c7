"""Customers and what hangs off them: the delivery address, the loyalty membership, private notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow, values_in

if TYPE_CHECKING:
    from .accounts import User
    from .orders import Order
    from .organise import Tag

SOURCES = ("order", "follow", "manual", "import")


class Customer(db.Model):
    """A customer of the shop, with the lifetime figures the customer list sorts and counts on."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    whatsapp: Mapped[str | None] = mapped_column(String(20))  # E.164
    company_name: Mapped[str | None] = mapped_column(String(200))
    abn: Mapped[str | None] = mapped_column(String(11))  # 11 digits
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    email_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_marketing_method: Mapped[str | None] = mapped_column(String(50))
    # Consent to marketing by text message and WhatsApp, recorded as email marketing's is. False by the
    # database's default, so bulk writers that predate it (the demo) leave it out.
    sms_marketing: Mapped[bool] = mapped_column(Boolean, server_default=false())
    sms_marketing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_marketing_method: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(10), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Lifetime figures: owned by crm.services.stats, changed in the same transaction as the orders.
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units of the shop currency
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stored so each tab's count and each sort within a tab is one index walk; kept right by
    # crm.services.segments whenever the figures or the VIP threshold change. Its keys are the registry's
    # there, unchecked here, so a new segment needs no migration. A customer without paid orders is a prospect.
    segment: Mapped[str] = mapped_column(String(10), default="prospect")
    # Lower-cased name, email, company and phone digits, for one LIKE per search word.
    search_text: Mapped[str] = mapped_column(Text, default="")
    name_key: Mapped[str] = mapped_column(String(201), default="")  # sort key for "Name"
    # The "Add customer" form's one-time key: a second submit of the same form finds this customer
    # instead of creating a twin.
    submission_key: Mapped[str | None] = mapped_column(String(43))
    # Set when the customer's personal data was erased on request (their orders stay for the accounts).
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    address: Mapped[Address | None] = relationship(
        back_populates="customer", uselist=False, cascade="all, delete-orphan", lazy="select"
    )
    membership: Mapped[Membership | None] = relationship(
        back_populates="customer", uselist=False, cascade="all, delete-orphan"
    )
    orders: Mapped[list[Order]] = relationship(back_populates="customer", lazy="dynamic")
    # Read-only: tags are put on and taken off through crm.services.tags, which keeps the trail and the counts.
    tags: Mapped[list[Tag]] = relationship(secondary="customer_tag", viewonly=True, order_by="Tag.name_key")
    notes: Mapped[list[Note]] = relationship(
        back_populates="customer", cascade="all, delete-orphan",
        order_by=lambda: (Note.created_at.desc(), Note.id.desc()),
    )

    __table_args__ = (
        CheckConstraint(values_in("source", SOURCES), name="source"),
        CheckConstraint("order_count >= 0", name="order_count"),
        Index("uq_customer_email_lower", func.lower(email), unique=True),
        Index("ix_customer_phone", "phone"),
        Index("ix_customer_whatsapp", "whatsapp"),
        Index("uq_customer_submission_key", "submission_key", unique=True),
        # One index per sort, for "All" and for each segment tab; id breaks ties so pages are stable.
        Index("ix_customer_name_key", "name_key", "id"),
        Index("ix_customer_order_count", "order_count", "id"),
        Index("ix_customer_total_spent", "total_spent", "id"),
        Index("ix_customer_last_order_at", "last_order_at", "id"),
        Index("ix_customer_created_at", "created_at", "id"),
        Index("ix_customer_segment_name_key", "segment", "name_key", "id"),
        Index("ix_customer_segment_order_count", "segment", "order_count", "id"),
        Index("ix_customer_segment_total_spent", "segment", "total_spent", "id"),
        Index("ix_customer_segment_last_order_at", "segment", "last_order_at", "id"),
        Index("ix_customer_segment_created_at", "segment", "created_at", "id"),
        # Insights: one-order customers by when they ordered, and by first order those who came back.
        Index("ix_customer_first_order_at", "order_count", "first_order_at"),
        # The list's filter panel: every filtered and sorted column, so a filtered page and its tab counts are
        # one pass over this index whatever the filters match (crm/services/filters.py, migration 0020).
        Index("ix_customer_filters", "segment", "total_spent", "order_count", "last_order_at", "created_at",
              "email_marketing", "source", "name_key", "id"),
    )

    @property
    def full_name(self) -> str:
        """First and last name as shown everywhere."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def display_name(self) -> str:
        """The name to show and link: the full name, or the email for someone who gave no name (a follower)."""
        return self.full_name or self.email or f"Customer {self.id}"


class Address(db.Model):
    """A customer's delivery address."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166-1 alpha-2

    customer: Mapped[Customer] = relationship(back_populates="address")

    __table_args__ = (
        Index("ix_address_city", "city"),
        Index("ix_address_state", "state"),
        Index("ix_address_country", "country"),
        # The list's location filter: one place's customers without reading the address rows.
        Index("ix_address_location", "country", "state", "city", "customer_id"),
    )


class Membership(db.Model):
    """A customer's membership of the shop's loyalty scheme."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    membership_id: Mapped[str] = mapped_column(String(40), unique=True)
    expires_on: Mapped[date | None] = mapped_column(Date)
    # The customer's segment, copied by triggers (migration 0022) so a membership filter's tab counts read
    # this table alone. Left out of an INSERT, the trigger fills it in. Deferred, as ShopSettings.lapsed_days,
    # so code that loads memberships also runs on a database before 0022 (the migration tests fill old ones).
    segment: Mapped[str] = mapped_column(String(20), server_default=text("''"), deferred=True)

    customer: Mapped[Customer] = relationship(back_populates="membership")

    # The filter panel's active, expiring and expired members.
    __table_args__ = (Index("ix_membership_expires_on", "expires_on", "segment", "customer_id"),)


class Note(db.Model):
    """A private note about a customer, seen only in the dashboard."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_note_customer_created_at", "customer_id", "created_at"),)
