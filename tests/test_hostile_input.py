"""What a careless user or an attacker types: amounts beyond any order, control characters, absurd URL numbers.

Each case was a 500 or stored something it shouldn't; now each gets a clear message and changes nothing.
"""

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ApiToken, Note, Order, ShopSettings
from crm.services import tokens
from crm.services.shop import get_settings

from .factories import make_customer

HUGE_AMOUNTS = ["92233720368547758.07", "1e309", "9" * 400, "10000000000.00", "NaN", "-Infinity", "0x10"]
CONTROL_TEXT = ["Koala\x00Goods", "Koala\x1bGoods", "Koala\x07Goods", "\u202eKoala Goods", "Koala\x9bGoods"]
SETTINGS = {"shop_name": "Koala Goods", "currency": "AUD", "country": "AU", "timezone": "Australia/Sydney",
            "vip_threshold": "1000.00", "membership_prefix": "KG"}


@pytest.fixture
def customer_id(app):
    """A customer with one paid order."""
    with app.app_context():
        customer = make_customer("Pia", "Phone", orders_spec=[(5_000, "paid")])
        db.session.commit()
        return customer.id


def _order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("total", HUGE_AMOUNTS)
def test_order_by_hand_refuses_amounts_beyond_the_bound(logged_in, app, customer_id, total):
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
        "order_number": "H-BIG001", "placed_on": "2026-11-20", "total": total, "status": "paid"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter an amount up to 9,999,999,999.99" in html or "Enter an amount such as 129.90" in html
    assert _order_count(app) == 1
    assert logged_in.get("/insights").status_code == 200


def test_the_largest_amount_is_taken_and_insights_still_adds_up(logged_in, app, customer_id):
    for n in range(3):
        response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
            "order_number": f"H-MAX00{n}", "placed_on": "2026-11-20", "total": "9,999,999,999.99",
            "status": "paid"})
        assert response.status_code == 302
    assert logged_in.get("/insights").status_code == 200
    with app.app_context():
        spent = db.session.scalar(select(func.sum(Order.total)))
        assert spent == 3 * (10**12 - 1) + 5_000


@pytest.mark.parametrize("threshold", HUGE_AMOUNTS)
def test_vip_threshold_refuses_amounts_beyond_the_bound(logged_in, app, threshold):
    response = logged_in.post("/settings", data={**SETTINGS, "vip_threshold": threshold})
    assert response.status_code == 422
    with app.app_context():
        assert get_settings().vip_threshold == 100_000


def test_vip_threshold_of_zero_or_less_says_above_zero(logged_in):
    for threshold in ("0", "-5"):
        html = logged_in.post("/settings", data={**SETTINGS, "vip_threshold": threshold}).get_data(as_text=True)
        assert "Enter an amount above zero" in html


@pytest.mark.parametrize("name", CONTROL_TEXT)
def test_shop_name_refuses_control_characters(logged_in, app, name):
    response = logged_in.post("/settings", data={**SETTINGS, "shop_name": name})
    assert response.status_code == 422
    assert "Remove the invisible control characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ShopSettings, 1).shop_name == "Koala Goods"


def test_setup_refuses_a_shop_name_with_control_characters(client, app):
    response = client.post("/setup", data={"shop_name": "Shop\x07", "email": "o@shop.test",
                                           "password": "long enough password"})
    assert response.status_code == 422
    assert "Remove the invisible control characters" in response.get_data(as_text=True)
    assert client.get("/setup").status_code == 200  # still no owner


def test_right_to_left_names_and_emoji_are_kept(logged_in, app):
    response = logged_in.post("/settings", data={**SETTINGS, "shop_name": "متجر الكوالا 🐨"})
    assert response.status_code == 302
    with app.app_context():
        assert get_settings().shop_name == "متجر الكوالا 🐨"


@pytest.mark.parametrize("name", CONTROL_TEXT)
def test_token_names_refuse_control_characters(logged_in, app, runner, name):
    response = logged_in.post("/settings/tokens", data={"token-name": name})
    assert response.status_code == 422
    assert "Remove the invisible control characters" in response.get_data(as_text=True)
    result = runner.invoke(args=["tokens", "create", name])
    assert result.exit_code == 2 and "Remove the invisible control characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_tokens_list_escapes_a_name_stored_before_the_rule(app, runner):
    with app.app_context():
        token, _raw = tokens.create_token("ok")
        token.name = "Check\x1b[2Jout\x07"  # (PostgreSQL can't store NUL at all)
        db.session.commit()
    result = runner.invoke(args=["tokens", "list"])
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Check\\x1b[2Jout\\x07" in result.output


@pytest.mark.parametrize("body", ["Called\x00back", "Ring \x1b[31mred", "bell\x07", "\u202eevil"])
def test_notes_refuse_control_characters(logged_in, app, customer_id, body):
    response = logged_in.post(f"/customers/{customer_id}/notes", data={"body": body})
    assert response.status_code == 422
    assert "Remove the invisible control characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Note)) == 0


def test_notes_keep_line_breaks_and_tabs(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Line one\r\n\tLine two"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Note.body)).one() == "Line one\r\n\tLine two"


def test_editing_a_note_refuses_control_characters(logged_in, app, customer_id):
    logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Fine"})
    with app.app_context():
        note_id = db.session.scalars(select(Note.id)).one()
    response = logged_in.post(f"/customers/{customer_id}/notes/{note_id}",
                              data={f"note{note_id}-body": "Not\x00fine"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Note.body)).one() == "Fine"


def test_order_note_refuses_control_characters(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
        "order_number": "H-NOTE01", "placed_on": "2026-11-20", "total": "10", "status": "paid",
        "note": "Gift\x00wrap"})
    assert response.status_code == 422
    assert "Remove the invisible control characters" in response.get_data(as_text=True)
    assert _order_count(app) == 1


@pytest.mark.parametrize("url", ["/customers?q=a%00b", "/customers/export?q=a%00b", "/customers?q=%00",
                                 "/customers?city=Parra%00matta", "/audit?person=%00x",
                                 "/addresses/suggest?street=12%00Smith%20St", "/customers?page=-1",
                                 "/customers?page=1e9", "/customers?page=4611686018427387904",
                                 "/audit?page=" + "9" * 5000])
def test_url_arguments_never_break_a_page(logged_in, url):
    assert logged_in.get(url).status_code == 200


def test_a_search_with_nul_finds_as_if_it_were_a_space(logged_in, app):
    with app.app_context():
        make_customer("Zed", "Nullson")
        db.session.commit()
    html = logged_in.get("/customers?q=zed%00nullson").get_data(as_text=True)
    assert "Zed Nullson" in html


def test_huge_order_pages_and_ids(logged_in, customer_id):
    assert logged_in.get(f"/customers/{customer_id}?orders_page=4611686018427387904").status_code == 200
    assert logged_in.get(f"/customers/{customer_id}?orders_page=-3").status_code == 200
    assert logged_in.get(f"/customers/{customer_id}?edit_note=99999999999999999999").status_code == 200
    assert logged_in.get("/customers/99999999999999999999999").status_code == 404
    assert logged_in.get("/customers/3000000000").status_code == 404  # past a 32-bit id column
    assert logged_in.get(f"/customers/{customer_id}?edit_note=3000000000").status_code == 200
    assert logged_in.get("/customers/" + "9" * 5000).status_code == 404
    assert logged_in.get("/customers/check/email?email=a@b.test&customer=99999999999999999999").status_code == 200


def test_an_order_number_with_nul_is_refused_by_its_format(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/orders/new", data={
        "order_number": "H-\x00ONE", "placed_on": "2026-11-20", "total": "10", "status": "paid"})
    assert response.status_code == 422
    assert "Use letters, digits and" in response.get_data(as_text=True)
    assert _order_count(app) == 1


@pytest.mark.parametrize("email", ["\x00", "owner@shop.test\x00", "\x07@shop.test"])
def test_login_with_a_control_character_is_a_wrong_login(client, owner, email):
    """No account's address holds one, and PostgreSQL refuses NUL in a query: a wrong login, not a 500."""
    response = client.post("/login", data={"email": email, "password": "whatever it is"})
    assert response.status_code == 401 and "Invalid email or password" in response.get_data(as_text=True)
