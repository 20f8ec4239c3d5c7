"""Orders recorded by hand on the profile: the form, its checks, and the figures and segment that follow."""

import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import CUSTOMER_ACTIONS, AuditEvent, Customer, Order
from crm.services.shop import get_settings

from . import factories
from .factories import make_customer
from .html import parse


@pytest.fixture
def customer_id(app):
    """A prospect with no orders."""
    with app.app_context():
        customer = make_customer("Pia", "Phone", email="pia@example.test")
        db.session.commit()
        return customer.id


def test_profile_has_add_order_button(logged_in, customer_id):
    html = logged_in.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'action="/customers/{customer_id}/orders/new"' in html and ">Add order</button>" in html


def test_form_suggests_a_number_and_today(logged_in, customer_id):
    response = logged_in.get(f"/customers/{customer_id}/orders/new")
    html = response.get_data(as_text=True)
    doc = parse(html)
    assert response.status_code == 200 and doc.heading("Add order for Pia Phone").tag == "h1"
    for label in ("Order number", "Order date", "Total", "Status", "Note"):
        assert doc.field(label), label
    assert re.fullmatch(r"H-[2-9A-Z]{6}", doc.field("Order number").value)
    placed_on = doc.field("Order date")
    assert placed_on["type"] == "date" and re.fullmatch(r"\d{4}-\d\d-\d\d", placed_on.value)


def test_paid_order_moves_the_customer(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
        "order_number": "H-PHONE1", "placed_on": "2026-11-20", "total": "1,250.50", "status": "paid",
        "note": "Phoned in"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/customers/{customer_id}#history"
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert (customer.order_count, customer.total_spent, customer.segment) == (1, 125050, "vip")
        order = db.session.scalars(select(Order)).one()
        assert order.channel == "manual" and order.note == "Phoned in" and order.currency == "AUD"
        assert order.placed_at.date().isoformat() == "2026-11-20"  # midday Sydney is still that day in UTC
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CUSTOMER_ACTIONS))).all()
        assert event.action == "order" and "H-PHONE1" in event.detail and event.actor == "owner@shop.test"
    html = logged_in.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Order H-PHONE1 added" in html and "#H-PHONE1" in html and "by hand" in html


def test_blank_number_gets_one(logged_in, app, customer_id):
    logged_in.post(f"/customers/{customer_id}/orders/new",
                   data={"order_number": "", "placed_on": "2026-11-20", "total": "10", "status": "refunded"})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert re.fullmatch(r"H-[2-9A-Z]{6}", order.order_number) and order.status == "refunded"
        assert db.session.get(Customer, customer_id).segment == "prospect"  # refunded: doesn't count


@pytest.mark.parametrize(("field", "value", "message"), [
    ("total", "", "Enter the order total"),
    ("total", "abc", "Enter an amount such as 129.90"),
    ("total", "12.345", "Use at most 2 decimal places"),
    ("total", "-5", "Enter an amount of zero or more"),
    ("placed_on", "", "Enter the order date"),
    ("placed_on", "2026-13-40", "Enter the order date"),
    ("placed_on", "1969-12-31", "Can&#39;t be before 1970"),
    ("placed_on", "0001-01-01", "Can&#39;t be before 1970"),  # overflowed in zones west of UTC
    ("placed_on", "9999-12-31", "Can&#39;t be after today"),
    ("order_number", "T-TAKEN", "Another order already has this number"),
    ("order_number", "x" * 65, "Keep the order number to 64 characters"),
    ("status", "pending", "Not a valid choice."),
    ("order_number", "INV 12/3", "Use letters, digits and - _ . : # (starting with a letter or digit)"),
])
def test_bad_order_is_refused_keeping_values(logged_in, app, customer_id, field, value, message):
    with app.app_context():
        factories.order(make_customer("Other", "One"), 100, number="T-TAKEN")
        db.session.commit()
    data = {"order_number": "H-NEW001", "placed_on": "2026-11-20", "total": "99.95", "status": "paid",
            "note": "kept note", field: value}
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "kept note" in html
    with app.app_context():
        assert db.session.get(Customer, customer_id).order_count == 0


def test_number_taken_meanwhile_says_so_instead_of_failing(logged_in, app, customer_id, monkeypatch):
    from crm.services import orders

    with app.app_context():
        factories.order(make_customer("Other", "One"), 100, number="H-RACE01")
        db.session.commit()
    # the checkout recorded the number just after the form checked it
    monkeypatch.setattr(orders, "number_in_use", lambda number: False)
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
        "order_number": "H-RACE01", "placed_on": "2026-11-20", "total": "99.95", "status": "paid"})
    assert response.status_code == 422
    assert "Another order already has this number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, customer_id).order_count == 0


def test_myr_shop_uses_its_currency(logged_in, app, customer_id):
    with app.app_context():
        get_settings().currency = "MYR"
        db.session.commit()
    logged_in.post(f"/customers/{customer_id}/orders/new",
                   data={"placed_on": "2026-11-20", "total": "45.10", "status": "paid"})
    with app.app_context():
        assert db.session.scalars(select(Order.currency)).one() == "MYR"


def test_unknown_customer_is_404(logged_in):
    assert logged_in.get("/customers/999/orders/new").status_code == 404
