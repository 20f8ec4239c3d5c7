"""The "Add customer" and edit forms: saving, every check, kept values, history, generators and live checks."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from stdnum import luhn
from werkzeug.security import check_password_hash

from crm.extensions import db
from crm.models import CUSTOMER_ACTIONS, AuditEvent, Customer
from crm.services.shop import get_settings

from . import factories
from .factories import committed_customer, make_customer
from .html import Element, page, parse

DUPLICATE_MEMBERSHIP = "Another customer already has this membership ID"
VALID = {
    "first_name": "Anna", "last_name": "Smith", "email": "anna@example.test", "phone": "0412 345 678",
    "whatsapp": "", "password": "", "street": "12 Smith St", "city": "Parramatta", "state": "NSW",
    "postcode": "2150", "country": "AU",
}


def shop_features(app, **values):
    """Switch shop settings (b2b_enabled, membership_enabled, country ...) for a test."""
    with app.app_context():
        settings = get_settings()
        for key, value in values.items():
            setattr(settings, key, value)
        db.session.commit()


def customers(app):
    """Every customer, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(Customer).order_by(Customer.id)).all()
        for row in rows:  # load what tests read after the session closes
            _ = (row.address, row.membership)
        db.session.expunge_all()
        return rows


def field_error(html: str, field_id: str) -> str:
    """The message shown under a field, checking the field is marked invalid and described by it."""
    doc = parse(html)
    field = doc.by_id(field_id)
    assert field.invalid, field
    assert f"{field_id}-error" in field["aria-describedby"].split(), field
    return doc.by_id(f"{field_id}-error").text


def labels(html: str) -> list[str]:
    """The text of every label on the page."""
    return [label.text for label in parse(html).find_all("label")]


def add_customer_tab(html: str) -> Element:
    """The "Add customer" tab of the page's "Customers" tab list."""
    return parse(html).by_role("tablist", "Customers").by_role("tab", "Add customer")


def submission_key(html: str) -> str:
    """The hidden key that tells a resent form from a new one."""
    return parse(html).find("input", name="submission_key")["value"]


def test_add_page_names_its_fields(logged_in):
    html = logged_in.get("/customers/new").get_data(as_text=True)
    doc = parse(html)
    for label in ("First name", "Last name", "Email", "Contact number", "WhatsApp number", "Customer password",
                  "Street", "Suburb / City", "State", "Postcode", "Country", "Email marketing"):
        assert doc.field(label), label
    assert doc.by_role("group", "Delivery address").find("legend")
    assert doc.field("Street").role == "combobox"
    assert doc.by_role("listbox", "Address suggestions")["id"] == doc.field("Street")["aria-controls"]
    tab = add_customer_tab(html)
    assert tab["aria-selected"] == "true" and tab["href"] == "/customers/new"
    assert doc.button("Generate new password") and doc.button("Save customer")
    # off by default: no business or membership fields
    assert "Company name" not in html and "Membership ID" not in html and "ABN" not in labels(html)


def test_list_has_add_customer_tab(logged_in):
    tab = add_customer_tab(logged_in.get("/customers").get_data(as_text=True))
    assert tab["aria-selected"] == "false" and tab["href"] == "/customers/new"


def test_feature_fields_follow_settings(logged_in, app):
    shop_features(app, b2b_enabled=True, membership_enabled=True)
    doc = parse(logged_in.get("/customers/new").get_data(as_text=True))
    for label in ("Company name", "ABN", "Membership ID", "Expiry date"):
        assert doc.field(label), label
    assert doc.button("Generate new ID")
    assert doc.field("Expiry date")["type"] == "date"


def test_save_customer_lands_on_profile(logged_in, app):
    data = {**VALID, "first_name": "  Anna  ", "email": "Anna@Example.TEST", "password": "s3cret-pass",
            "email_marketing": "y", "state": "nsw"}
    response = logged_in.post("/customers/new", data=data)
    assert response.status_code == 302
    [customer] = customers(app)
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert "Customer saved" in logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert customer.first_name == "Anna" and customer.email == "Anna@example.test"
    assert customer.phone == "+61412345678" and customer.source == "manual"
    assert customer.segment == "prospect"
    assert customer.address.street == "12 Smith St" and customer.address.state == "NSW"
    assert customer.address.postcode == "2150" and customer.address.country == "AU"
    assert customer.password_hash != "s3cret-pass"
    with app.app_context():
        assert check_password_hash(customer.password_hash, "s3cret-pass")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CUSTOMER_ACTIONS))).all()
        assert [(e.action, e.actor, e.customer_id) for e in events] == [("create", "owner@shop.test", customer.id)]
    assert customer.email_marketing and customer.email_marketing_at is not None
    assert customer.email_marketing_method == "dashboard"


def test_saved_customer_is_found_by_search(logged_in, app):
    logged_in.post("/customers/new", data={**VALID, "first_name": "Zoë", "last_name": "Ångström"})
    html = logged_in.get("/customers?q=angstr").get_data(as_text=True)
    assert "Zoë Ångström" in html
    assert "Zoë Ångström" in logged_in.get("/customers?q=0412345").get_data(as_text=True)


def test_minimal_customer_needs_only_a_first_name(logged_in, app):
    response = logged_in.post("/customers/new", data={"first_name": "Sam", "country": "AU"})
    assert response.status_code == 302
    [customer] = customers(app)
    assert customer.email is None and customer.phone is None and customer.address is None
    assert customer.password_hash is None and not customer.email_marketing and customer.email_marketing_at is None


def test_double_submit_creates_one_customer(logged_in, app):
    html = logged_in.get("/customers/new").get_data(as_text=True)
    key = submission_key(html)
    data = {**VALID, "email": "", "submission_key": key}
    first = logged_in.post("/customers/new", data=data)
    second = logged_in.post("/customers/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(customers(app)) == 1
    # a fresh form is a new customer
    other = submission_key(logged_in.get("/customers/new").get_data(as_text=True))
    assert other != key
    logged_in.post("/customers/new", data={**data, "submission_key": other})
    assert len(customers(app)) == 2


@pytest.mark.parametrize("key", ["\x00", "a\x00b", "ü" * 50, "a b", "x" * 44])
def test_a_key_the_form_never_made_is_no_key(logged_in, app, key):
    for _ in range(2):
        assert logged_in.post("/customers/new", data={**VALID, "email": "", "submission_key": key}).status_code == 302
    assert len(customers(app)) == 2


@pytest.mark.parametrize(("name", "stored"), [
    ("مريم", "مريم"),  # right-to-left script
    ("  Ngā   Tamariki ", "Ngā Tamariki"),  # surrounding and doubled spaces
    ("Zoë 🌸", "Zoë 🌸"),  # emoji
    ("李小龍", "李小龍"),
    ("O'Brien-Smith", "O'Brien-Smith"),
    ("x" * 100, "x" * 100),
])
def test_names_accepted(logged_in, app, name, stored):
    response = logged_in.post("/customers/new", data={**VALID, "email": "", "first_name": name})
    assert response.status_code == 302
    assert customers(app)[0].first_name == stored


@pytest.mark.parametrize(("field", "value", "message"), [
    ("first_name", "", "Enter the first name"),
    ("first_name", "   ", "Enter the first name"),
    ("first_name", "x" * 300, "Keep the first name to 100 characters"),
    ("last_name", "y" * 300, "Keep the last name to 100 characters"),
    ("first_name", "Anna\u202eevil", "Remove the invisible control characters"),
    ("first_name", "Anna\x00", "Remove the invisible control characters"),
    ("email", "anna@", "There must be something after the @-sign."),
    ("email", "anna at example.test", "An email address must have an @-sign."),
    ("email", "anna@exa mple.test", "The part after the @-sign contains invalid characters: SPACE."),
    ("phone", "0412 345", "This phone number is not possible"),
    ("phone", "not a number", "This is not a phone number"),
    ("phone", "012-345 6789", "This phone number is not possible"),  # a Malaysian number, in an AU shop
    ("whatsapp", "+61 2 1234", "This phone number is not possible"),
    ("password", "short", "Use at least 8 characters"),
    ("city", "", "Enter the suburb or city"),
])
def test_bad_input_is_refused_keeping_every_value(logged_in, app, field, value, message):
    data = {**VALID, "password": "kept-password-1", field: value}
    response = logged_in.post("/customers/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    assert "nothing was saved yet" in html
    assert customers(app) == []
    kept = parse(html).button("Save customer").form.form_data()
    for key, typed in data.items():
        if key != field:
            assert kept[key] == typed, key  # every other value stays, the password too


def test_duplicate_email_any_case_links_to_the_customer(logged_in, app):
    with app.app_context():
        other = make_customer("Bea", "Jones", email="bea@example.test")
        db.session.commit()
        other_id = other.id
    response = logged_in.post("/customers/new", data={**VALID, "email": "  BEA@Example.Test "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "email") == "A customer with this email already exists"
    assert parse(html).link("Open Bea Jones")["href"] == f"/customers/{other_id}"
    assert len(customers(app)) == 1


def test_malaysian_shop_reads_malaysian_numbers(logged_in, app):
    shop_features(app, country="MY")
    data = {**VALID, "phone": "012-345 6789", "whatsapp": "+61 412 345 678", "street": "", "city": "",
            "state": "", "postcode": "", "country": "MY"}
    assert logged_in.post("/customers/new", data=data).status_code == 302
    [customer] = customers(app)
    assert customer.phone == "+60123456789" and customer.whatsapp == "+61412345678"


def test_business_fields(logged_in, app):
    shop_features(app, b2b_enabled=True)
    bad = logged_in.post("/customers/new", data={**VALID, "company_name": "Koala Co", "abn": "51 824 753 557"})
    assert bad.status_code == 422
    assert "check digits don't match" in field_error(bad.get_data(as_text=True), "abn")
    good = logged_in.post("/customers/new", data={**VALID, "company_name": "Koala Co", "abn": "51 824 753 556"})
    assert good.status_code == 302
    [customer] = customers(app)
    assert customer.abn == "51824753556" and customer.company_name == "Koala Co"
    assert "51 824 753 556" in logged_in.get(good.headers["Location"]).get_data(as_text=True)


def test_membership_fields(logged_in, app):
    shop_features(app, membership_enabled=True, membership_prefix="KG")
    with app.app_context():
        holder = make_customer("Held", "Already")
        factories.membership(holder, "KG123")
        db.session.commit()
    taken = logged_in.post("/customers/new", data={**VALID, "membership_id": "kg123"})
    assert "Another customer already has this membership ID" in field_error(taken.get_data(as_text=True),
                                                                             "membership_id")
    no_id = logged_in.post("/customers/new", data={**VALID, "expires_on": "2030-01-01"})
    assert "Give a membership ID" in field_error(no_id.get_data(as_text=True), "membership_id")
    bad_date = logged_in.post("/customers/new", data={**VALID, "membership_id": "KG9", "expires_on": "31/31/2030"})
    assert bad_date.status_code == 422
    past = (date.today() - timedelta(days=40)).isoformat()
    saved = logged_in.post("/customers/new", data={**VALID, "membership_id": " kg-777 ", "expires_on": past})
    assert saved.status_code == 302
    customer = customers(app)[-1]
    assert customer.membership.membership_id == "KG-777"
    assert customer.membership.expires_on.isoformat() == past
    profile = logged_in.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Expired" in profile and "KG-777" in profile


def test_generate_password_endpoint(logged_in):
    response = logged_in.get("/customers/generate/password", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    doc = parse(html)
    password = doc.field("Customer password")
    assert password["type"] == "text" and password["name"] == "password"
    value = password.value
    assert len(value) >= 16 and not set(value) & set("0Oo1lI")
    assert doc.button("Copy password") and doc.has_id("password-field")
    again = logged_in.get("/customers/generate/password", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert value not in again


def test_generate_membership_id_endpoint(logged_in, app):
    assert logged_in.get("/customers/generate/membership-id").status_code == 404  # feature off
    shop_features(app, membership_enabled=True, membership_prefix="KG")
    html = logged_in.get("/customers/generate/membership-id", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and parse(html).has_id("membership-id-field")
    value = parse(html).field("Membership ID").value
    assert re.fullmatch(r"KG\d{9}", value) and luhn.is_valid(value[2:])


def test_generate_buttons_work_without_javascript(logged_in, app):
    shop_features(app, membership_enabled=True, membership_prefix="KG")
    data = {**VALID, "email": "kept@example.test", "generate": "password"}
    html = logged_in.post("/customers/new", data=data).get_data(as_text=True)
    password = parse(html).field("Customer password")
    assert password["type"] == "text" and re.fullmatch(r"[A-Za-z2-9]{16}", password.value)
    assert parse(html).field("Email").value == "kept@example.test" and "aria-invalid" not in html
    html = logged_in.post("/customers/new", data={**data, "generate": "membership_id"}).get_data(as_text=True)
    assert re.fullmatch(r"KG\d{9}", parse(html).field("Membership ID").value)
    assert customers(app) == []


@pytest.mark.parametrize(("url", "expected"), [
    ("/customers/check/email?email=BEA@example.test", "A customer with this email already exists: "),
    ("/customers/check/email?email=new@example.test", None),
    ("/customers/check/email?email=bea%00@example.test", None),
    ("/customers/check/email?email=%20BEA@Example.test%20", "A customer with this email already exists: "),
    ("/customers/check/phone?phone=0412%20111%20222", "Another customer has this number: "),
    ("/customers/check/whatsapp?whatsapp=%2B61412111222", "Another customer has this number: "),
    ("/customers/check/phone?phone=0412%20999%20999", None),
    ("/customers/check/phone?phone=0412", "This phone number is not possible"),
    ("/customers/check/membership_id?membership_id=kg123", "Another customer already has this membership ID"),
    ("/customers/check/membership_id?membership_id=KG123%00", None),
    ("/customers/check/expires_on?expires_on=2001-01-01", "This date has passed"),
    ("/customers/check/expires_on?expires_on=2999-01-01", None),
    ("/customers/check/expires_on?expires_on=garbage", None),
])
def test_live_checks(logged_in, app, url, expected):
    with app.app_context():
        bea = make_customer("Bea", "Jones", email="bea@example.test", phone="+61412111222")
        factories.membership(bea, "KG123")
        db.session.commit()
        bea_id = bea.id
    response = logged_in.get(url, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert parse(html).find(aria_live="polite")
    if expected is None:
        assert "warning" not in html
    else:
        assert expected in html
        if expected.endswith(": "):
            assert parse(html).link("Bea Jones")["href"] == f"/customers/{bea_id}"
    # the customer being edited is not their own duplicate
    own = logged_in.get(f"{url}&customer={bea_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    if expected and expected.endswith(": "):
        assert "warning" not in own


def test_unknown_check_is_404(logged_in):
    assert logged_in.get("/customers/check/password_hash?password_hash=x").status_code == 404


def test_form_warns_about_a_shared_number_on_rerender(logged_in, app):
    with app.app_context():
        make_customer("Bea", "Jones", phone="+61412345678")
        db.session.commit()
    html = logged_in.post("/customers/new", data={**VALID, "first_name": ""}).get_data(as_text=True)
    assert "Another customer has this number: " in html


# --- editing


@pytest.fixture
def existing(app):
    """A customer with a password, an address and a membership."""
    shop_features(app, b2b_enabled=True, membership_enabled=True)
    with app.app_context():
        from crm.services.passwords import hash_customer_password

        customer = make_customer("Anna", "Smith", email="anna@example.test", phone="+61412345678",
                                 company_name="Koala Co")
        customer.abn = "51824753556"
        customer.password_hash = hash_customer_password("original-password")
        factories.address(customer, street="1 Old Rd", city="Parramatta", state="NSW", postcode="2150")
        factories.membership(customer, "M1000", date(2030, 1, 1))
        db.session.commit()
        return customer.id


def edit_data(logged_in, customer_id) -> dict:
    """The edit form's current values, as the browser would send them back."""
    return page(logged_in.get(f"/customers/{customer_id}/edit")).button("Save changes").form.form_data()


def test_edit_form_is_prefilled_without_the_password(logged_in, existing):
    response = logged_in.get(f"/customers/{existing}/edit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    doc = parse(html)
    assert doc.button("Save changes") and doc.heading("Edit Anna Smith").tag == "h1"
    for label, shown in (("First name", "Anna"), ("Email", "anna@example.test"), ("Contact number", "0412 345 678"),
                         ("ABN", "51 824 753 556"), ("Membership ID", "M1000"), ("Expiry date", "2030-01-01"),
                         ("Street", "1 Old Rd"), ("Postcode", "2150")):
        assert doc.field(label).value == shown, label
    password = doc.field("Customer password")
    assert password["type"] == "password" and password.value == ""
    assert "original-password" not in html and "Leave blank to keep the current password" in html


def test_edit_keeps_history_field_by_field(logged_in, app, existing):
    data = {**edit_data(logged_in, existing), "last_name": "Smythe", "phone": "+61 412 999 888",
            "city": "Westmead", "email_marketing": "y"}
    response = logged_in.post(f"/customers/{existing}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{existing}"
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")
                                    .order_by(AuditEvent.id)).all()
        changes = {e.field: (e.old_value, e.new_value) for e in events}
        customer = db.session.get(Customer, existing)
        assert check_password_hash(customer.password_hash, "original-password")  # blank kept it
        assert customer.email_marketing and customer.email_marketing_method == "dashboard"
    assert changes == {"Last name": ("Smith", "Smythe"), "Contact number": ("0412 345 678", "0412 999 888"),
                       "Suburb / City": ("Parramatta", "Westmead"), "Email marketing": ("No", "Yes")}
    assert all(e.actor == "owner@shop.test" for e in events)
    profile = logged_in.get(f"/customers/{existing}").get_data(as_text=True)
    assert parse(profile).heading("Changes").tag == "h2"
    assert "Smith" in profile and "Smythe" in profile and "Customer saved" in profile


def test_saving_unchanged_form_records_nothing(logged_in, app, existing):
    response = logged_in.post(f"/customers/{existing}/edit", data=edit_data(logged_in, existing))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action.in_(CUSTOMER_ACTIONS))) == 0  # the sign-in is there


def test_new_password_is_recorded_without_its_value(logged_in, app, existing):
    data = {**edit_data(logged_in, existing), "password": "brand-new-secret"}
    assert logged_in.post(f"/customers/{existing}/edit", data=data).status_code == 302
    with app.app_context():
        customer = db.session.get(Customer, existing)
        assert check_password_hash(customer.password_hash, "brand-new-secret")
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CUSTOMER_ACTIONS))).all()
        assert event.field == "Customer password" and event.old_value is None and event.new_value is None
    profile = logged_in.get(f"/customers/{existing}").get_data(as_text=True)
    assert "brand-new-secret" not in profile
    assert "Customer password changed" in parse(profile).text


def test_edit_errors_keep_values_and_change_nothing(logged_in, app, existing):
    data = {**edit_data(logged_in, existing), "last_name": "Changed", "email": "bad@", "password": "tiny"}
    response = logged_in.post(f"/customers/{existing}/edit", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "email") and field_error(html, "password")
    kept = parse(html).button("Save changes").form.form_data()
    assert kept["last_name"] == "Changed" and kept["password"] == "tiny"
    with app.app_context():
        assert db.session.get(Customer, existing).last_name == "Smith"


def test_edit_may_keep_its_own_email_and_membership(logged_in, existing):
    data = {**edit_data(logged_in, existing), "email": "ANNA@example.test", "membership_id": "m1000"}
    assert logged_in.post(f"/customers/{existing}/edit", data=data).status_code == 302


def checks_late(monkeypatch, module, name: str, miss):
    """Make a duplicate check miss once, as when another save takes the value just after the form checked it."""
    real = getattr(module, name)
    calls = []

    def late(*args, **kwargs):
        """The first call finds nothing (the other save hasn't committed yet); later ones see it."""
        calls.append(args)
        return miss if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, late)
    return calls


def test_email_taken_meanwhile_says_so_instead_of_failing(logged_in, app, monkeypatch):
    from crm.services import profiles

    committed_customer(app, "Bea", "Jones", email="bea@example.test")
    calls = checks_late(monkeypatch, profiles, "find_by_email", None)
    response = logged_in.post("/customers/new", data={**VALID, "email": "BEA@example.test", "password": "kept-secret"})
    assert response.status_code == 422 and len(calls) == 2  # refused by the index, then checked again
    html = response.get_data(as_text=True)
    assert field_error(html, "email") == "A customer with this email already exists"
    assert parse(html).field("Customer password").value == "kept-secret"
    assert len(customers(app)) == 1


def test_membership_id_taken_meanwhile_says_so_on_add_and_edit(logged_in, app, existing, monkeypatch):
    from crm.services import memberships

    shop_features(app, membership_enabled=True)
    checks_late(monkeypatch, memberships, "in_use", False)
    added = logged_in.post("/customers/new", data={**VALID, "email": "new@example.test", "membership_id": "m1000"})
    assert added.status_code == 422
    assert field_error(added.get_data(as_text=True), "membership_id") == DUPLICATE_MEMBERSHIP
    assert len(customers(app)) == 1
    other = committed_customer(app, "Cal", email="cal@example.test")
    checks_late(monkeypatch, memberships, "in_use", False)
    data = {**edit_data(logged_in, other), "membership_id": "M1000", "last_name": "Changed"}
    edited = logged_in.post(f"/customers/{other}/edit", data=data)
    assert edited.status_code == 422
    assert field_error(edited.get_data(as_text=True), "membership_id") == DUPLICATE_MEMBERSHIP
    with app.app_context():
        assert db.session.get(Customer, other).last_name == "Taylor"  # nothing saved


def test_features_switched_off_keep_stored_data(logged_in, app, existing):
    data = edit_data(logged_in, existing)
    shop_features(app, b2b_enabled=False, membership_enabled=False)
    html = logged_in.get(f"/customers/{existing}/edit").get_data(as_text=True)
    assert "Company name" not in html and "Membership ID" not in html
    for key in ("company_name", "abn", "membership_id", "expires_on"):
        data.pop(key)
    assert logged_in.post(f"/customers/{existing}/edit", data=data).status_code == 302
    with app.app_context():
        customer = db.session.get(Customer, existing)
        assert customer.abn == "51824753556" and customer.company_name == "Koala Co"
        assert customer.membership.membership_id == "M1000"


def test_clearing_address_and_membership_removes_them(logged_in, app, existing):
    data = {**edit_data(logged_in, existing), "street": "", "city": "", "state": "", "postcode": "",
            "membership_id": "", "expires_on": ""}
    assert logged_in.post(f"/customers/{existing}/edit", data=data).status_code == 302
    with app.app_context():
        customer = db.session.get(Customer, existing)
        assert customer.address is None and customer.membership is None
        fields = set(db.session.scalars(select(AuditEvent.field)))
        assert {"Street", "Suburb / City", "Membership ID", "Expiry date"} <= fields


def test_withdrawing_consent_records_when(logged_in, app, existing):
    data = {**edit_data(logged_in, existing), "email_marketing": "y"}
    logged_in.post(f"/customers/{existing}/edit", data=data)
    data.pop("email_marketing")
    logged_in.post(f"/customers/{existing}/edit", data=data)
    with app.app_context():
        customer = db.session.get(Customer, existing)
        assert not customer.email_marketing and customer.email_marketing_at is not None
    profile = logged_in.get(f"/customers/{existing}").get_data(as_text=True)
    assert "Not subscribed since" in profile


def test_edit_unknown_customer_is_404(logged_in):
    assert logged_in.get("/customers/999/edit").status_code == 404
    assert logged_in.post("/customers/999/edit", data=VALID).status_code == 404


def test_profile_links_to_edit_and_shows_active_membership(logged_in, existing):
    html = logged_in.get(f"/customers/{existing}").get_data(as_text=True)
    doc = parse(html)
    assert doc.link("Edit")["href"] == f"/customers/{existing}/edit"
    assert doc.find("title").text == "Anna Smith · crm"
    assert "Active" in html and "M1000" in html
