"""The shop's settings row and what follows from it (locale, time zone, currency precision)."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from ..extensions import db, insert_or_ignore
from ..models import ShopSettings


def get_settings() -> ShopSettings:
    """Return the shop's settings, creating the defaults on first use."""
    settings = db.session.get(ShopSettings, 1)
    if settings is None:
        # The first requests of a new shop may all find no row: each inserts it unless it is there by then.
        db.session.execute(insert_or_ignore(ShopSettings.__table__).values(id=1))
        settings = db.session.get(ShopSettings, 1)
    return settings


@lru_cache(maxsize=64)
def locale_for(country: str) -> Locale:
    """The locale money and dates are shown in: English as written in the shop's country."""
    try:
        return Locale.parse(f"en_{country}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name (cached: ZoneInfo reads a file)."""
    return ZoneInfo(name)


def today(settings: ShopSettings) -> date:
    """Today's date in the shop's time zone: the day the owner means (expiry, order dates, file names)."""
    return datetime.now(zone(settings.timezone)).date()
