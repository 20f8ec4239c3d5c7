"""Figures kept beside the data so pages read a few rows: per-segment and per-place counts, counted months."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


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
