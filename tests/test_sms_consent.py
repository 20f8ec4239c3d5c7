"""Consent to marketing by text message and WhatsApp, beside email marketing: one registry field, so the form's
checkbox, the profile, the trail, the export, the order API and anonymizing all have it, each with when and
how it was recorded."""

import csv
import io
from datetime import datetime, timezone
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.api.openapi import spec as openapi_spec
from crm.customers import checks
from crm.extensions import db
from crm.models import AuditEvent, Customer
from crm.services import erasure, tokens

from .factories import committed_customer, make_customer
from .html import page
from .test_api import Api, OpenApi, order_body, with_customer

LABEL = "Text and WhatsApp marketing"
FORM = {"first_name": "Mei", "last_name": "Tan", "email": "mei.tan@example.my", "phone": "+60 12-345 6789",
        "country": "MY"}
_numbers = count(5000)


@pytest.fixture
def api(app, client) -> Api:
    """The order API with an active token named "Checkout"."""
    with app.app_context():
        _, raw = tokens.create_token("Checkout")
        db.session.commit()
    return Api(client, raw)


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    """The OpenAPI document the app serves, as a checker."""
    return OpenApi(openapi_spec())


def customer_by_email(email: str) -> Customer:
    """The one customer with this email."""
    return db.session.scalars(select(Customer).where(Customer.email == email)).one()


def details(doc) -> dict[str, str]:
    """The profile's description lists as term -> description text."""
    return dict(zip((dt.text for dt in doc.find_all("dt")), (dd.content_name() for dd in doc.find_all("dd"))))


# ---- the customer form and the profile ---------------------------------------------------------------------


def test_the_form_has_the_checkbox_beside_email_marketing(logged_in):
    doc = page(logged_in.get("/customers/new"))
    box = doc.field(LABEL)
    assert (box.tag, box["type"], box["name"]) == ("input", "checkbox", "sms_marketing")
    assert "checked" not in box.attrs
    consent = doc.by_role("group", "Consent")
    assert [e["name"] for e in consent.find_all("input")] == ["email_marketing", "sms_marketing"]


def test_ticking_it_records_when_and_how_and_the_profile_says_so(logged_in, app):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    response = logged_in.post("/customers/new", data={**FORM, "sms_marketing": "y"})
    assert response.status_code == 302
    with app.app_context():
        mei = customer_by_email("mei.tan@example.my")
        assert (mei.sms_marketing, mei.sms_marketing_method, mei.email_marketing) == (True, "dashboard", False)
        assert mei.sms_marketing_at >= before
        mei_id = mei.id
    shown = details(page(logged_in.get(f"/customers/{mei_id}")))
    assert shown[LABEL].startswith("Subscribed since ") and shown[LABEL].endswith("(recorded in the dashboard)")
    assert shown["Email marketing"] == "Not subscribed"
    edit = page(logged_in.get(f"/customers/{mei_id}/edit"))
    assert "checked" in edit.field(LABEL).attrs


def test_unticking_it_withdraws_the_consent_in_the_trail(logged_in, app):
    logged_in.post("/customers/new", data={**FORM, "sms_marketing": "y"})
    with app.app_context():
        mei_id = customer_by_email("mei.tan@example.my").id
    data = page(logged_in.get(f"/customers/{mei_id}/edit")).button("Save changes").form.form_data()
    data.pop("sms_marketing")
    assert logged_in.post(f"/customers/{mei_id}/edit", data=data).status_code == 302
    with app.app_context():
        mei = db.session.get(Customer, mei_id)
        assert (mei.sms_marketing, mei.sms_marketing_method) == (False, "dashboard")
        [edit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")).all()
        assert (edit.field, edit.old_value, edit.new_value, edit.actor) == (LABEL, "Yes", "No", "owner@shop.test")
    assert "Unsubscribed on" in page(logged_in.get(f"/customers/{mei_id}/edit")).text


def test_a_customer_who_never_answered_is_not_subscribed(logged_in, app):
    customer_id = committed_customer(app, "Sam", "Lee", email="sam@example.test")
    assert details(page(logged_in.get(f"/customers/{customer_id}")))[LABEL] == "Not subscribed"


# ---- the export and anonymizing ------------------------------------------------------------------------------


def test_the_export_has_the_column(logged_in, app):
    logged_in.post("/customers/new", data={**FORM, "sms_marketing": "y"})
    logged_in.post("/customers/new", data={**FORM, "email": "other@example.my", "phone": ""})
    text = logged_in.get("/customers/export").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["email"], r["email_marketing"], r["sms_marketing"]) for r in rows] == [
        ("mei.tan@example.my", "false", "true"), ("other@example.my", "false", "false")]


def test_anonymizing_erases_it_with_its_record(app):
    with app.app_context():
        customer = make_customer("Ada", "Lim", email="ada@example.my", phone="+60123456780",
                                 orders_spec=[(1000, "paid")])
        customer.sms_marketing, customer.sms_marketing_method = True, "import"
        customer.sms_marketing_at = datetime.now(timezone.utc)
        db.session.flush()
        erasure.anonymize_customer(customer, None)
        assert (customer.sms_marketing, customer.sms_marketing_at, customer.sms_marketing_method) == (
            False, None, None)


# ---- the order API -------------------------------------------------------------------------------------------


def test_a_checkout_gives_the_consent_to_a_new_customer(app, api, openapi):
    body = order_body(customer={**order_body()["customer"], "sms_marketing": True})
    assert openapi.check_request(body) == []
    response = api.post(body)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 201
    with app.app_context():
        anna = customer_by_email("anna.nguyen@example.com")
        assert (anna.sms_marketing, anna.sms_marketing_method) == (True, "order")
        assert anna.sms_marketing_at is not None
    assert api.post(body).status_code == 200  # a retry is the same order


def test_a_checkout_never_overwrites_an_answer_the_customer_gave(app, api):
    with app.app_context():
        known = make_customer("Anna", "Nguyen", email="anna.nguyen@example.com")
        known.sms_marketing, known.sms_marketing_method = False, "dashboard"
        known.sms_marketing_at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        db.session.commit()
    body = with_customer(order_body(), sms_marketing=True)
    assert api.post(body).status_code == 201
    with app.app_context():
        anna = customer_by_email("anna.nguyen@example.com")
        assert (anna.sms_marketing, anna.sms_marketing_method) == (False, "dashboard")


def test_a_checkout_gives_it_to_a_known_customer_who_never_answered(app, api):
    committed_customer(app, "Anna", "Nguyen", email="anna.nguyen@example.com")
    assert api.post(with_customer(order_body(), sms_marketing=True)).status_code == 201
    with app.app_context():
        anna = customer_by_email("anna.nguyen@example.com")
        assert (anna.sms_marketing, anna.sms_marketing_method) == (True, "order")
        [edit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit",
                                                             AuditEvent.field == LABEL)).all()
        assert (edit.old_value, edit.new_value, edit.actor) == ("No", "Yes", 'API token "Checkout"')


def test_the_field_must_be_true_or_false(app, api, openapi):
    body = with_customer(order_body(), sms_marketing="yes")
    assert openapi.check_request(body) != []
    response = api.post(body)
    openapi.check(response, "/orders", "post")
    assert (response.status_code, response.get_json()) == (422, {"errors": {
        "customer.sms_marketing": "Must be true or false"}})
    with app.app_context():
        assert db.session.scalars(select(Customer)).all() == []


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
                        st.lists(st.booleans(), max_size=2), st.dictionaries(st.text(max_size=3), st.booleans(),
                                                                             max_size=1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_any_json_value_is_recorded_as_sent_or_refused_with_the_message(app, api, value):
    number = f"H{next(_numbers)}"
    email = f"{number.lower()}@example.com"
    response = api.post(with_customer(order_body(number), email=email, phone=None, sms_marketing=value))
    with app.app_context():
        stored = db.session.scalars(select(Customer).where(Customer.email == email)).first()
        if isinstance(value, bool) or value is None:
            assert response.status_code == 201
            assert stored.sms_marketing is bool(value)
            assert stored.sms_marketing_method == ("order" if value else None)
        else:
            assert response.status_code == 422
            assert response.get_json() == {"errors": {"customer.sms_marketing": "Must be true or false"}}
            assert stored is None


@settings(max_examples=60, deadline=None)
@given(typed=st.one_of(st.sampled_from(("y", "yes", "Y", "true", "1", "no", "0", "false", "n", "")),
                       st.text(max_size=6)))
def test_the_consent_check_reads_what_people_type(typed):
    try:
        read = checks.consent(typed)
    except checks.Invalid as exc:
        assert str(exc) == "Use true or false (yes/no and 1/0 work too)"
        assert typed.strip().lower() not in ("true", "yes", "y", "1", "false", "no", "n", "0", "")
    else:
        assert read is (None if not typed.strip() else typed.strip().lower() in ("true", "yes", "y", "1"))
