"""The shop's settings, and the bundled gazetteer of localities that address suggestions read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


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
    # Members without two-step verification are sent to set it up at their next sign-in (migration 0018).
    # Deferred: loaded only where it is read (the two-step gate, Settings), so the code that reads the rest of
    # the row also runs on a database that has not had 0018 yet (the migration tests fill old revisions so);
    # the default is the database's, so making the row names no such column either.
    require_two_step: Mapped[bool] = mapped_column(Boolean, server_default=false(), deferred=True)
    # The built-in "Lapsed" view: paid customers whose last order is more than this many days ago (migration
    # 0019; deferred for the same reason as require_two_step).
    lapsed_days: Mapped[int] = mapped_column(Integer, server_default=text("180"), deferred=True)
    # The dashboard's language for whoever hasn't chosen one, and of the public pages (migration 0025).
    language: Mapped[str] = mapped_column(String(5), server_default="en", deferred=True)

    __table_args__ = (CheckConstraint("vip_threshold > 0", name="vip_threshold"),)


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
