"""Template filters and globals: numbers in the shop's own format, and the shop's "today"."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from flask import render_template_string

from crm.extensions import db
from crm.services.shop import get_settings, today


@pytest.mark.parametrize(("country", "shown"), [
    ("AU", "1,234,567 · 2.5 · 0"),
    ("MY", "1,234,567 · 2.5 · 0"),
    ("DE", "1.234.567 · 2,5 · 0"),  # the grouping and decimal signs the shop's country writes
])
def test_number_filter_follows_the_shops_country(app, country, shown):
    with app.test_request_context():
        get_settings().country = country
        db.session.commit()
        assert render_template_string("{{ 1234567 | number }} · {{ 2.5 | number(1) }} · {{ 0 | number }}") == shown


@pytest.mark.parametrize("country", ["AU", "MY", "DE", "FR", "IN", "US"])
def test_counts_read_as_babel_writes_them(app, country):
    """Counts take a quicker way than Babel's formatter; what they say is the same."""
    from babel.numbers import format_decimal

    from crm.services.shop import locale_for

    with app.test_request_context():
        get_settings().country = country
        db.session.commit()
        for count in (0, 7, 999, 1000, -1234, 123456789, 10**12):
            expected = format_decimal(count, format="#,##0", locale=locale_for(country))
            assert render_template_string("{{ n | number }}", n=count) == expected


def test_today_is_the_date_in_the_shops_time_zone():
    # 25 hours apart: whenever the test runs, Kiritimati's date is a day or two ahead of Pago Pago's.
    ahead, behind = (today(SimpleNamespace(timezone=name)) for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago"))
    assert 1 <= (ahead - behind).days <= 2
    assert behind <= datetime.now(timezone.utc).date() <= ahead


def test_every_page_has_the_whole_navigation(logged_in):
    html = logged_in.get("/customers").get_data(as_text=True)
    for label, path in (("Customers", "/customers"), ("Insights", "/insights"), ("Settings", "/settings"),
                        ("Audit trail", "/audit")):
        assert f'<a href="{path}"' in html and f">{label}</a>" in html
