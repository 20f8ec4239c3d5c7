"""Template filters and globals: money, phones and dates in the shop's own formats."""

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from flask import Flask, current_app, g
from jinja2 import StrictUndefined

from .services import addresses, business, money, phones, segments
from .services.shop import get_settings, locale_for, zone

# Navigation: shown only for areas this installation has.
NAV = (("Customers", "customers.index"), ("Insights", "insights.index"), ("Settings", "settings.index"),
       ("Audit trail", "audit.index"))


def shop():
    """The shop's settings, read once per request."""
    if "shop" not in g:
        g.shop = get_settings()
    return g.shop


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    if app.testing:
        app.jinja_env.undefined = StrictUndefined

    @app.template_filter("money")
    def money_filter(minor: int | None) -> str:
        s = shop()
        return money.format_money(minor, s.currency, s.country)

    @app.template_filter("phone")
    def phone_filter(e164: str | None) -> str:
        return phones.display(e164, shop().country)

    @app.template_filter("abn")
    def abn_filter(digits: str | None) -> str:
        return business.format_abn(digits)

    @app.template_filter("date")
    def date_filter(value: datetime | None) -> str:
        if value is None:
            return ""
        s = shop()
        return format_date(value.astimezone(zone(s.timezone)), "medium", locale=locale_for(s.country))

    @app.template_filter("day")
    def day_filter(value: date | None) -> str:
        if value is None:
            return ""
        return format_date(value, "medium", locale=locale_for(shop().country))

    @app.template_filter("datetime")
    def datetime_filter(value: datetime | None) -> str:
        if value is None:
            return ""
        s = shop()
        local = value.astimezone(zone(s.timezone))
        return format_datetime(local, "medium", tzinfo=zone(s.timezone), locale=locale_for(s.country))

    @app.template_global()
    def whatsapp_digits(customer) -> str | None:
        return phones.whatsapp_digits(customer.whatsapp, customer.phone)

    @app.template_global()
    def country_name(code: str | None) -> str:
        return locale_for(shop().country).territories.get(code or "", code or "")

    @app.template_global()
    def states_for(country: str | None) -> list[tuple[str, str]]:
        return addresses.states_for(country or "")

    @app.template_global()
    def has_endpoint(name: str) -> bool:
        return name in current_app.view_functions

    @app.context_processor
    def globals_():
        nav = [(label, ep) for label, ep in NAV if ep in current_app.view_functions]
        return {"shop": shop(), "nav": nav, "segments": segments.by_key()}
