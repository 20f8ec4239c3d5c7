"""Figures kept beside the data so pages read a few rows: per-segment and per-place counts, counted months."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class SegmentCount(db.Model):
    """How many customers each segment has, kept by database triggers on customer (migrations 0003 and 0011).

    The tab counts are read on every list page; reading a row per segment beats counting 100,000 index
    entries. A segment's row is made by the trigger the first time a customer joins it.
    """

    __tablename__ = "segment_count"

    segment: Mapped[str] = mapped_column(String(10), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


# location_count's segment key for the rows that count all of a place's customers, whatever their segment.
ALL_SEGMENTS = ""
_ALL_ROWS = text("segment = ''")


class LocationCount(db.Model):
    """Customers and their lifetime spend in one place and segment, kept by database triggers (migration 0011).

    A place is a city (with its state and country), a state (with its country) or a country. Each has a row
    per segment its customers are in, made by the trigger with the segment's first customer there (so a new
    segment needs no new column), and one more for all its customers under the key ALL_SEGMENTS. Insights
    ranks places by those; the customer list counts a place's tabs from its rows instead of joining every
    address to its customer.
    """

    __tablename__ = "location_count"

    level: Mapped[str] = mapped_column(String(7), primary_key=True)  # "city", "state" or "country"
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    state: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" on country rows
    city: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" on state and country rows
    segment: Mapped[str] = mapped_column(String(10), primary_key=True)  # a segment key, or ALL_SEGMENTS
    customers: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)  # lifetime paid spend, minor units

    __table_args__ = (
        # Insights' rankings walk these backwards. Only the rows for all segments are in them, so a change to
        # one segment's row costs no index write.
        Index("ix_location_count_customers", "level", "customers",
              sqlite_where=_ALL_ROWS, postgresql_where=_ALL_ROWS),
        Index("ix_location_count_spent", "level", "spent", sqlite_where=_ALL_ROWS, postgresql_where=_ALL_ROWS),
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
