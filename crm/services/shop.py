"""The shop's settings row and what follows from it (locale, time zone, currency precision)."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale

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


def locale_for(country: str) -> Locale:
    """The locale money and dates are shown in: the page's language (crm/i18n.py) as written in the shop's
    country, "A$1,234.50" in English for Australia, "RM1,234.50" in Malay for Malaysia."""
    current = get_locale()
    return _locale(current.language if current is not None else "en", country)


@lru_cache(maxsize=64)
def _locale(language: str, country: str) -> Locale:
    try:
        return Locale.parse(f"{language}_{country}")
    except (UnknownLocaleError, ValueError):  # Babel has no Malay of Australia: Malay as Malaysia writes it
        return Locale.parse(language)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name (cached: ZoneInfo reads a file)."""
    return ZoneInfo(name)


def today(settings: ShopSettings) -> date:
    """Today's date in the shop's time zone: the day the owner means (expiry, order dates, file names)."""
    return datetime.now(zone(settings.timezone)).date()
