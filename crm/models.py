"""The shop's data: customers and what hangs off them, orders, owners and the shop's settings."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

SOURCES = ("order", "follow", "manual", "import")
ORDER_STATUSES = ("paid", "cancelled", "refunded")
SEGMENTS = ("vip", "returning", "new", "prospect")
ROLES = ("owner", "staff")


# Search indexes made by migrations 0002 and 0005 outside the models (SQLite FTS5 tables and their shadow
# tables, PostgreSQL trigram indexes): autogenerate must not offer to drop them.
UNMODELLED = ("customer_fts", "ix_customer_search_trgm", "locality_fts", "ix_locality_search_trgm",
              "address_fts", "ix_address_search_trgm")


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object hook: leave the unmodelled search indexes alone."""
    return not (reflected and name and name.startswith(UNMODELLED))


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC without a zone (same on SQLite and PostgreSQL) and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


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
    source: Mapped[str] = mapped_column(String(10), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Lifetime figures: owned by crm.services.stats, changed in the same transaction as the orders.
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units of the shop currency
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stored so each tab's count and each sort within a tab is one index walk; kept right by
    # crm.services.segments whenever the figures or the VIP threshold change.
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
    notes: Mapped[list[Note]] = relationship(
        back_populates="customer", cascade="all, delete-orphan",
        order_by=lambda: (Note.created_at.desc(), Note.id.desc()),
    )

    __table_args__ = (
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint(_in("segment", SEGMENTS), name="segment"),
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
    )

    @property
    def full_name(self) -> str:
        """First and last name as shown everywhere."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def display_name(self) -> str:
        """The name to show and link: the full name, or the email for someone who gave no name (a follower)."""
        return self.full_name or self.email or f"Customer {self.id}"


class SegmentCount(db.Model):
    """How many customers each segment has, kept by database triggers on customer (migration 0003).

    The tab counts are read on every list page; reading four rows beats counting 100,000 index entries.
    """

    __tablename__ = "segment_count"

    segment: Mapped[str] = mapped_column(String(10), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


class LocationCount(db.Model):
    """Customers per segment and their lifetime spend in one place, kept by database triggers (migration 0008).

    One row per city (with its state and country), per state and per country. Insights ranks places and the
    customer list counts a place's tabs from these rows instead of joining every address to its customer.
    """

    __tablename__ = "location_count"

    level: Mapped[str] = mapped_column(String(7), primary_key=True)  # "city", "state" or "country"
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    state: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" on country rows
    city: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" on state and country rows
    customers: Mapped[int] = mapped_column(Integer, default=0)
    vip_customers: Mapped[int] = mapped_column(Integer, default=0)
    returning_customers: Mapped[int] = mapped_column(Integer, default=0)
    new_customers: Mapped[int] = mapped_column(Integer, default=0)
    prospect_customers: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)  # lifetime paid spend, minor units

    __table_args__ = (
        Index("ix_location_count_customers", "level", "customers"),
        Index("ix_location_count_spent", "level", "spent"),
    )


class InsightMonth(db.Model):
    """One closed month of the shop's calendar: how many customers paid for an order in it, kept as a cache.

    Counting them reads every order of the month. Database triggers on orders (migration 0008) delete the
    rows an order change can affect (its month and every later one); Insights counts a missing month again.
    """

    __tablename__ = "insight_month"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)  # the time zone the month is in
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customers: Mapped[int] = mapped_column(Integer)  # with a paid order placed in the month
    new_customers: Mapped[int] = mapped_column(Integer)  # of those, with no other paid order by its end
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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

    customer: Mapped[Customer] = relationship(back_populates="membership")


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
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
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


class User(UserMixin, db.Model):
    """Someone who logs in to the dashboard: the owner or a member of staff."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    # Until migration 0010 the session cookie named this token. Sessions are rows of user_session now; the
    # column stays because SQLite can drop a UNIQUE column only by rebuilding the table, and rebuilding
    # "user" would set every note author and trail entry pointing at it to NULL.
    retired_session_token: Mapped[str] = mapped_column(
        "session_token", String(64), unique=True, default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The raw key of the session this request runs in (set by crm.services.sessions, never stored).
    session_key = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session cookie: the key of this sign-in's user_session row."""
        return self.session_key

    # UserMixin compares users by get_id(), which is a sign-in's key (or None) here: compare rows instead.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        Index("uq_user_email_lower", func.lower(email), unique=True),
    )


class UserSession(db.Model):
    """One sign-in of a dashboard user: the session cookie holds its key, the table only the key's sha256.

    Signing out deletes the row, so a copy of the cookie taken earlier opens nothing afterwards; a password
    change or a deactivated account deletes every row of that user.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_user_session_user_id", "user_id"),
        Index("ix_user_session_expires_at", "expires_at"),
    )


class Installation(db.Model):
    """That first-run setup has happened: one row, whose primary key makes creating the owner atomic.

    Two setups racing both insert id 1; the database lets exactly one commit, however the requests interleave.
    """

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    set_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class RateLimitCounter(db.Model):
    """One rate limit's count in its current window, shared by every process serving the shop.

    Written by crm.ratelimit (Flask-Limiter's storage) in transactions of its own; expired rows are reset on
    their next hit and swept from time to time.
    """

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, as the limits library counts

    __table_args__ = (Index("ix_rate_limit_expires_at", "expires_at"),)


class ShopSettings(db.Model):
    """The shop's settings: one row."""

    __tablename__ = "shop_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_name: Mapped[str] = mapped_column(String(200), default="My shop")
    currency: Mapped[str] = mapped_column(String(3), default="AUD")
    country: Mapped[str] = mapped_column(String(2), default="AU")
    timezone: Mapped[str] = mapped_column(String(64), default="Australia/Sydney")
    vip_threshold: Mapped[int] = mapped_column(BigInteger, default=100_000)  # minor units: 1,000.00
    b2b_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    membership_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    membership_prefix: Mapped[str] = mapped_column(String(10), default="M")

    __table_args__ = (CheckConstraint("vip_threshold > 0", name="vip_threshold"),)


AUDIT_ACTIONS = ("create", "edit", "delete", "anonymize", "export", "import", "order")


class AuditEvent(db.Model):
    """Who did what to the shop's customer data and when; an edit keeps one row per changed field.

    The actor and the customer's name are copied as text, so the trail still reads right after the
    user or the customer is gone.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(201), default="")
    field: Mapped[str | None] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_event_customer", "customer_id", "occurred_at", "id"),
        Index("ix_audit_event_occurred_at", "occurred_at", "id"),
        Index("ix_audit_event_action", "action", "occurred_at"),
    )


class Locality(db.Model):
    """A suburb, town or city with its state and postcode, from the bundled gazetteer (crm/data).

    Written only by crm.services.gazetteer, which loads the whole file again when it changes.
    """

    __tablename__ = "locality"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    state: Mapped[str] = mapped_column(String(100))  # as addresses store it: "NSW", "Selangor"
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20))
    # Folded words of city, state and postcode, each after a space, for word-prefix search through the
    # trigram indexes of migration 0005.
    search_text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_locality_country_postcode", "country", "postcode"),)


class GazetteerSource(db.Model):
    """Which bundled gazetteer file the locality table holds, so a changed file is loaded again."""

    __tablename__ = "gazetteer_source"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A named bearer token for the order API; only its sha256 is kept, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()


class FollowCode(db.Model):
    """A one-time code emailed to someone following the store; only a keyed hash of the code is kept."""

    __tablename__ = "follow_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # normalized and lower-cased
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_from: Mapped[str | None] = mapped_column(String(45))  # the requester's IP address

    __table_args__ = (Index("ix_follow_code_email_created_at", "email", "created_at"),)


IMPORT_STATUSES = ("done", "failed")


class ImportJob(db.Model):
    """One customer import from a CSV file: who ran it, when, and what it created, updated and skipped.

    A failed import changed nothing (it runs in one transaction); its row says why it stopped.
    """

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(43))  # the upload's key (a failed import can be tried again)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # kept as text, like the audit trail
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)  # data rows in the file
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # unchanged or empty rows
    invalid: Mapped[int] = mapped_column(Integer, default=0)  # rows left out for their errors
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
        Index("ix_import_job_token", "token"),
        Index("ix_import_job_started_at", "started_at", "id"),
    )
