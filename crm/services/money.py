"""Money in integer minor units of the shop currency; never a float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from .shop import locale_for


def to_minor(amount: str | Decimal, currency: str) -> int:
    """Parse a decimal amount ("129.90") into minor units (12990); raise ValueError when it isn't one."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise ValueError("Enter an amount such as 129.90") from exc
    if not value.is_finite():
        raise ValueError("Enter an amount such as 129.90")
    places = get_currency_precision(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"Use at most {places} decimal places")
    return int(scaled.to_integral_value(ROUND_HALF_UP))


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units back to a Decimal amount in the currency's precision."""
    places = get_currency_precision(currency)
    return Decimal(minor).scaleb(-places)


def format_money(minor: int | None, currency: str, country: str) -> str:
    """Show an amount the way the shop's country writes its currency (A$1,234.50 style via Babel)."""
    return format_currency(to_decimal(minor or 0, currency), currency, locale=locale_for(country))
