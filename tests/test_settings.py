"""The settings page: saving, validation, and the VIP threshold moving customers between segments."""

import pytest

from crm.extensions import db
from crm.models import Customer
from crm.services.shop import get_settings

from .factories import make_customer
from .html import parse

VALID = {"shop_name": "Koala Goods", "currency": "AUD", "country": "AU", "timezone": "Australia/Sydney",
         "vip_threshold": "1000.00", "membership_prefix": "KG"}


def test_settings_page_shows_fields(logged_in):
    doc = parse(logged_in.get("/settings").get_data())
    form = doc.button("Save settings").form
    for label in ("Shop name", "Currency", "Country", "Time zone", "VIP threshold", "Business to Business",
                  "Membership", "Membership ID prefix"):
        assert form.field(label), label
    assert form.field("VIP threshold").value == "1000.00"


def test_save_settings(logged_in, app):
    data = {**VALID, "shop_name": "Batik House", "currency": "MYR", "country": "MY",
            "timezone": "Asia/Kuala_Lumpur", "b2b_enabled": "y", "membership_enabled": "y"}
    response = logged_in.post("/settings", data=data, follow_redirects=True)
    assert "Settings saved." in response.get_data(as_text=True)
    with app.app_context():
        s = get_settings()
        assert (s.shop_name, s.currency, s.country, s.timezone) == ("Batik House", "MYR", "MY", "Asia/Kuala_Lumpur")
        assert s.b2b_enabled and s.membership_enabled and s.membership_prefix == "KG"


def test_threshold_change_moves_customers(logged_in, app):
    with app.app_context():
        cid = make_customer(orders_spec=[(40_000, "paid")]).id
        db.session.commit()
    response = logged_in.post("/settings", data={**VALID, "vip_threshold": "300"}, follow_redirects=True)
    assert "1 customers changed segment" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, cid).segment == "vip"
    html = logged_in.get("/customers?segment=vip").get_data(as_text=True)
    assert "Alex Taylor" in html


@pytest.mark.parametrize(("field", "value", "message"), [
    ("vip_threshold", "abc", "Enter an amount such as 129.90"),
    ("vip_threshold", "0", "Enter an amount above zero"),
    ("vip_threshold", "-5", "Enter an amount above zero"),
    ("vip_threshold", "10.005", "Use at most 2 decimal places"),
    ("shop_name", "   ", "Enter your shop's name"),
    ("currency", "XXX1", "Not a valid choice"),
    ("timezone", "Mars/Olympus", "Not a valid choice"),
    ("membership_prefix", "K9!", "Use letters only"),
])
def test_bad_settings_are_refused_and_nothing_changes(logged_in, app, field, value, message):
    response = logged_in.post("/settings", data={**VALID, "shop_name": "Changed", field: value})
    assert response.status_code == 422
    control = parse(response.get_data()).find(name=field)
    assert control.invalid and message in control.description
    with app.app_context():
        assert get_settings().shop_name == "Koala Goods"


@pytest.mark.parametrize("left_out", ["vip_threshold", "membership_prefix"])
def test_a_field_left_out_of_the_post_keeps_its_value(logged_in, app, left_out):
    with app.app_context():
        settings = get_settings()
        settings.vip_threshold, settings.membership_prefix = 250_000, "KG"
        db.session.commit()
    data = {**VALID, "shop_name": "Changed", "vip_threshold": "2500.00"}
    del data[left_out]
    response = logged_in.post("/settings", data=data)
    assert response.status_code == 302
    with app.app_context():
        settings = get_settings()
        assert (settings.shop_name, settings.vip_threshold, settings.membership_prefix) == ("Changed", 250_000, "KG")
