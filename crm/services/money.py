"""Money in integer minor units of the shop currency; never a float.

Every amount anyone types or sends (an order by hand, the VIP threshold, the order API's totals and prices)
is read by `parse_amount`, so all of them share one grammar and one bound. The bound keeps each amount far
inside the 64-bit integers the database stores and sums: a customer's lifetime spend and the shop's total
in Insights stay exact even after millions of the largest orders.
"""

import re
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from flask_babel import gettext as _

from .shop import locale_for

MAX_MINOR = 10**12 - 1  # 9,999,999,999.99 in a two-decimal currency: far above any order a shop takes
# Plain decimal notation only: no exponent ("1e309"), sign other than a leading minus, NaN, Infinity or hex.
_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_STRICT_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class AmountError(ValueError):
    """An amount that can't be used; `kind` says why ("format", "negative", "places", "too_large")."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def largest_amount(currency: str) -> Decimal:
    """The largest amount accepted, in the currency's own precision (9999999999.99 for AUD)."""
    return to_decimal(MAX_MINOR, currency)


def parse_amount(text: str, currency: str, *, grouping: bool = True) -> int:
    """Read a typed amount ("129.90", "1,299.90") as minor units, or raise AmountError with a message.

    `grouping` allows thousands commas, as people type them in forms; the order API sends plain decimals.
    """
    cleaned = (text or "").strip()
    if grouping:
        cleaned = cleaned.replace(",", "")
    pattern = _AMOUNT if grouping else _STRICT_AMOUNT
    if not pattern.fullmatch(cleaned):
        raise AmountError("format", _("Enter an amount such as 129.90"))
    if cleaned.startswith("-"):
        raise AmountError("negative", _("Enter an amount of zero or more"))
    value = Decimal(cleaned)
    places = get_currency_precision(currency)
    largest = largest_amount(currency)
    # Compared before scaling: Decimal arithmetic rounds to 28 digits, exact comparison doesn't.
    if value > largest:
        raise AmountError("too_large", _("Enter an amount up to %(amount)s", amount=format(largest, ",")))
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise AmountError("places", _("Use at most %(num)s decimal places", num=places))
    return int(scaled)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units back to a Decimal amount in the currency's precision."""
    places = get_currency_precision(currency)
    return Decimal(minor).scaleb(-places)


def to_minor(amount: Decimal, currency: str) -> int:
    """A Decimal amount in the currency's precision (as to_decimal gives it) back to minor units."""
    return int(amount.scaleb(get_currency_precision(currency)))


def format_money(minor: int | None, currency: str, country: str) -> str:
    """Show an amount the way the shop's country writes its currency (A$1,234.50 style via Babel)."""
    return format_currency(to_decimal(minor or 0, currency), currency, locale=locale_for(country))
