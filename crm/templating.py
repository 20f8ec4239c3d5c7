"""Template filters and globals: numbers, money, phones and dates in the shop's own formats, in one place.

Every filter reads the shop's settings (once per request) for its locale, currency and time zone, so no
template formats a number, an amount or a date by hand.
"""

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_currency, format_compact_decimal, format_decimal
from flask import Flask, g
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from .i18n import N_, page_theme
from .services import addresses, business, money, permissions, phones, saved_views, segments
from .services.addresses import lines as address_format
from .services.shop import get_settings, locale_for, zone

# The main navigation: every area an installation has, in the sidebar's order, each with the permission it
# needs (a member sees only what they can open). A member who may manage the team but not the settings finds
# Settings leading to the Team page. The labels are translated when a page shows them.
NAV = ((_l("Customers"), "customers.index", "view"), (_l("Insights"), "insights.index", "insights"),
       (_l("Settings"), "settings.index", "settings"), (_l("Audit trail"), "audit.index", "audit"))
FALLBACKS = {"settings.index": ("team.index", "team")}
# What the scripts in crm/static write on a page, keyed by their English (static/words.js reads them from
# <body data-words>), so the catalogues translate them with the rest.
SCRIPT_WORDS = (
    N_("Try again"), N_("Copied"), N_("Select the text and copy it"), N_("Uploading…"), N_("%(count)s selected"),
    N_("This didn't load: the server answered with an error (%(status)s)."),
    N_("This didn't load: the server didn't answer."),
    N_("This may not have been saved: the server answered with an error (%(status)s). Check, then send it "
       "again."),
    N_("This may not have been saved: the server didn't answer. Check, then send it again."))


def script_words() -> dict[str, str]:
    """SCRIPT_WORDS in the page's language, by their English."""
    return {word: gettext(word) for word in SCRIPT_WORDS}


def shop():
    """The shop's settings, read once per request."""
    if "shop" not in g:
        g.shop = get_settings()
    return g.shop


def can(key: str) -> bool:
    """Whether the signed-in member has this permission (templates show only what they can use)."""
    return permissions.can(current_user if current_user.is_authenticated else None, key)


def number_filter(value: int | float | None, digits: int = 0) -> str:
    """A count or ratio with the shop's grouping and decimal signs: 12,345 or 1.5 ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, int) and not digits:
        # A page shows hundreds of counts, and Babel's formatter takes a fifth of a millisecond for each;
        # Python's grouping in threes (the pattern below) with the locale's signs writes the same.
        return f"{value:,}".translate(_number_signs(locale_for(shop().country)))
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=locale_for(shop().country))


@lru_cache(maxsize=32)
def _number_signs(locale: Locale) -> dict[int, str]:
    """The locale's group and decimal signs, as a translation of Python's."""
    symbols = locale.number_symbols[locale.default_numbering_system]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"]})


def compact_filter(value: int) -> str:
    """A count for a chart axis: 2,500 as "2.5K"."""
    return format_compact_decimal(value, locale=locale_for(shop().country), fraction_digits=1)


def percent_filter(share: float | None) -> str:
    """A share as a whole percentage; "<1%" for a sliver, so nothing real reads as nothing."""
    if share is None:
        return "–"
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def money_filter(minor: int | None) -> str:
    """An amount in minor units, in the shop's currency as its country writes it."""
    s = shop()
    return money.format_money(minor, s.currency, s.country)


def money_short_filter(minor: int) -> str:
    """Money rounded for a chart label: A$1,234,567.89 as "$1.2M" (tables keep the exact amount)."""
    s = shop()
    return format_compact_currency(money.to_decimal(minor, s.currency), s.currency,
                                   locale=locale_for(s.country), fraction_digits=1)


def phone_filter(e164: str | None) -> str:
    """A stored E.164 number in national format for the shop's country, international for others."""
    return phones.display(e164, shop().country)


def abn_filter(digits: str | None) -> str:
    """An ABN as written on invoices: "51 824 753 556"."""
    return business.format_abn(digits)


def date_filter(value: datetime | None) -> str:
    """A stored (UTC) time as the day it was in the shop's time zone."""
    if value is None:
        return ""
    s = shop()
    return format_date(value.astimezone(zone(s.timezone)), "medium", locale=locale_for(s.country))


def day_filter(value: date | None) -> str:
    """A calendar date (an expiry, an order's day) in the shop's format."""
    if value is None:
        return ""
    return format_date(value, "medium", locale=locale_for(shop().country))


def datetime_filter(value: datetime | None) -> str:
    """A stored (UTC) time in the shop's time zone, to the minute."""
    if value is None:
        return ""
    s = shop()
    local = value.astimezone(zone(s.timezone))
    return format_datetime(local, "medium", tzinfo=zone(s.timezone), locale=locale_for(s.country))


def month_filter(first_day: datetime, pattern: str = "MMM") -> str:
    """A month in the shop's language: "Nov", "November 2026"."""
    return format_date(first_day, pattern, locale=locale_for(shop().country))


def filesize_filter(size: int) -> str:
    """A file's size in bytes as people read it: "840 bytes", "12.3 MB" (powers of 1,000, as file managers)."""
    if size < 1000:
        return ngettext("%(num)s byte", "%(num)s bytes", size)  # under 1,000: no separator
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            return f"{number_filter(size, 1)} {unit}"
    return ""


def whatsapp_digits(customer) -> str | None:
    """The digits of a customer's wa.me link (their WhatsApp number, else a mobile phone), or None."""
    return phones.whatsapp_digits(customer.whatsapp, customer.phone)


def country_name(code: str | None) -> str:
    """A country's name from its code, in the shop's language."""
    return locale_for(shop().country).territories.get(code or "", code or "")


def breakable_email(email: str) -> Markup:
    """An email that a narrow column breaks after its "@" and before a dot, not in the middle of a word."""
    local, at, domain = email.partition("@")
    parts = [escape(local), Markup(at + "<wbr>") if at else Markup("")] + \
        [Markup("<wbr>.").join(escape(piece) for piece in domain.split("."))]
    return Markup("").join(parts)


def address_lines(address) -> list[str]:
    """A delivery address's lines as its country's post writes them, then the country's name."""
    return [*address_format.lines(address.street, address.city, address.state, address.postcode, address.country),
            country_name(address.country)]


def states_for(country: str | None) -> list[tuple[str, str]]:
    """The states an address in this country chooses from, as (stored value, name shown)."""
    return addresses.states_for(country or "")


FILTERS = {"number": number_filter, "compact": compact_filter, "percent": percent_filter, "money": money_filter,
           "money_short": money_short_filter, "phone": phone_filter, "abn": abn_filter, "date": date_filter,
           "day": day_filter, "datetime": datetime_filter, "month": month_filter,
           "filesize": filesize_filter, "breakable_email": breakable_email,
           "view_name": saved_views.shown_name}
GLOBALS = {"whatsapp_digits": whatsapp_digits, "country_name": country_name, "states_for": states_for,
           "address_lines": address_lines, "can": can}


# Areas whose pages sit under another's navigation entry.
NAV_AREAS = {"imports": "customers", "team": "settings"}


def visible_nav() -> list[tuple[str, str, str]]:
    """The navigation entries the signed-in member can open, as (label, endpoint, area): the area (a
    blueprint's name) marks the entry as the current page's."""
    entries = []
    for label, endpoint, needed in NAV:
        area = endpoint.partition(".")[0]
        if can(needed):
            entries.append((label, endpoint, area))
        elif endpoint in FALLBACKS and can(FALLBACKS[endpoint][1]):
            entries.append((label, FALLBACKS[endpoint][0], area))
    return entries


def page_context() -> dict:
    """What every page's layout reads: the shop, the navigation, the segments, the language and the theme."""
    return {"shop": shop(), "nav": visible_nav(), "nav_areas": NAV_AREAS, "segments": segments.by_key(),
            "page_language": get_locale().language, "page_theme": page_theme(), "script_words": script_words}


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    if app.testing:
        app.jinja_env.undefined = StrictUndefined
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
    app.context_processor(page_context)
