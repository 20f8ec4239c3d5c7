"""First-run setup, login, logout, the login rate limit and the login gate on every route."""

import json

import pytest

from crm import PUBLIC_ENDPOINTS, create_app
from crm.extensions import db
from crm.models import Installation, User, UserSession
from crm.services import accounts, sessions

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config, csrf_token
from .html import parse


def test_no_owner_redirects_everything_to_setup(client):
    for url in ("/", "/customers", "/customers/1", "/settings", "/login"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/setup"), url


def test_setup_page_names_its_fields(client):
    doc = parse(client.get("/setup").get_data())
    assert doc.heading("Create the owner account").tag == "h1"
    form = doc.button("Create account").form
    for label, name in (("Shop name", "shop_name"), ("Email", "email"), ("Password", "password")):
        assert form.field(label)["name"] == name
    # the hint says the rule every dashboard password follows (crm/services/passwords.py)
    assert form.field("Password").description == "At least 12 characters, not one of the common passwords."


def test_setup_creates_owner_logs_in_and_disappears(client, app):
    response = client.post("/setup", data={"shop_name": "  Koala Goods ", "email": "Me@Shop.test",
                                           "password": "long enough passphrase"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/customers")
    assert client.get("/customers").status_code == 200
    assert client.get("/setup").status_code == 404
    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert user.role == "owner"
        assert user.password_hash.startswith("scrypt:")
        assert "long enough passphrase" not in user.password_hash
        from crm.services.shop import get_settings

        assert get_settings().shop_name == "Koala Goods"


@pytest.mark.parametrize(("data", "label", "message"), [
    ({"shop_name": "", "email": "a@b.co", "password": "long enough passphrase"}, "Shop name", "Enter your shop's name"),
    ({"shop_name": "Shop", "email": "not-an-email", "password": "long enough passphrase"}, "Email", "Enter a valid email address"),
    ({"shop_name": "Shop", "email": "a@b.co", "password": "short"}, "Password", "Use at least 12 characters"),
])
def test_setup_rejects_bad_input_and_keeps_values(client, data, label, message):
    response = client.post("/setup", data=data)
    assert response.status_code == 422
    doc = parse(response.get_data())
    wrong = doc.field(label)
    assert wrong.invalid and message in wrong.description
    assert doc.field("Shop name").value == data["shop_name"]


def test_setup_post_after_owner_exists_is_404(client, owner):
    response = client.post("/setup", data={"shop_name": "X", "email": "x@y.co", "password": "long enough passphrase"})
    assert response.status_code == 404


def test_login_page(client, owner):
    form = parse(client.get("/login").get_data()).button("Log in").form
    assert form.field("Email")["name"] == "email" and form.field("Password")["type"] == "password"


def test_login_wrong_pair_says_so(auth):
    response = auth.login(password="wrong password")
    assert response.status_code == 401
    assert "Invalid email or password" in response.get_data(as_text=True)
    response = auth.login(email="nobody@shop.test")
    assert "Invalid email or password" in response.get_data(as_text=True)


def test_login_is_case_insensitive_on_email_and_follows_next(client, auth):
    response = client.post("/login?next=/settings", data={"email": OWNER_EMAIL.upper(), "password": OWNER_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"


def test_login_ignores_offsite_next(client, auth):
    response = client.post("/login?next=https://evil.example/", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/customers"


def test_logout(logged_in, auth):
    response = auth.logout()
    assert response.status_code == 302
    assert logged_in.get("/customers").status_code == 302


def test_login_is_rate_limited(auth, client):
    for _ in range(10):
        assert auth.login(password="wrong password").status_code == 401
    response = auth.login(password="wrong password")
    assert response.status_code == 429
    assert "Too many login attempts" in response.get_data(as_text=True)


def test_session_of_deleted_user_goes_back_to_login(logged_in, app):
    with app.app_context():
        db.session.execute(db.delete(Installation))
        db.session.execute(db.delete(User))
        from crm.services import accounts

        accounts.create_owner("Shop", "other@shop.test", "long enough passphrase")
        db.session.commit()
    response = logged_in.get("/customers")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_htmx_request_without_login_redirects_whole_page(client, owner):
    response = client.get("/customers", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


def test_every_dashboard_route_requires_login(app, client, owner):
    # the invitation page is for someone without an account yet (tests/test_team.py); the second step of a
    # sign-in and the reset pages are for people who can't sign in (yet)
    public = {"static", "auth.setup", "auth.login", "health", "team.join", "auth.verify", "password.forgot",
              "password.reset"}
    assert public == PUBLIC_ENDPOINTS
    checked = 0
    for rule in app.url_map.iter_rules():
        # the follow page is public and the API answers 401 to a missing token (tests/test_api.py)
        if rule.endpoint in public or rule.endpoint.split(".")[0] in ("follow", "api"):
            continue
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 401), f"{method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 4


def test_csrf_is_enforced_when_enabled(database_url, owner):
    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    assert client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 400
    token = csrf_token(client.get("/login").data)
    response = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # htmx requests carry the token in a header, as base.html sets on <body>.
    body = parse(client.get("/customers").get_data()).find("body")
    assert json.loads(body["hx-headers"])["X-CSRFToken"]
    with app.app_context():
        db.engine.dispose()


def test_logout_ends_the_session_on_the_server(logged_in, app):
    stolen = logged_in.get_cookie("session").value  # a copy taken before logging out
    assert logged_in.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/customers")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.query(UserSession).count() == 0


def test_each_sign_in_is_its_own_session(app, owner):
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        assert client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 302
    phone.post("/logout")
    assert phone.get("/customers").status_code == 302
    assert laptop.get("/customers").status_code == 200  # logging out on one device leaves the other


def test_ending_every_other_session_keeps_this_one(app, owner):
    """What a password change or a deactivated account does (issue 13 puts it behind buttons)."""
    mine, other, third = app.test_client(), app.test_client(), app.test_client()
    for client in (mine, other, third):
        client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    cookie = app.session_interface.get_signing_serializer(app).loads(mine.get_cookie("session").value)
    with app.app_context():
        user = accounts.find_user(OWNER_EMAIL)
        assert sessions.end_all(user, keep=cookie["_user_id"]) == 2
        db.session.commit()
    assert mine.get("/customers").status_code == 200
    assert other.get("/customers").status_code == 302 and third.get("/customers").status_code == 302
    with app.app_context():
        assert sessions.end_all(accounts.find_user(OWNER_EMAIL)) == 1
        db.session.commit()
    assert mine.get("/customers").status_code == 302


def test_a_session_that_ran_out_goes_back_to_login(logged_in, app):
    with app.app_context():
        db.session.execute(db.update(UserSession).values(expires_at=UserSession.created_at))
        db.session.commit()
    assert logged_in.get("/customers").status_code == 302


def test_deleting_the_account_ends_its_sessions(logged_in, app):
    with app.app_context():
        db.session.execute(db.delete(Installation))
        db.session.execute(db.delete(User))
        db.session.commit()
        assert db.session.query(UserSession).count() == 0


def test_a_setup_that_loses_the_race_makes_no_owner(client, app, monkeypatch):
    """Two setups both saw "no owner yet"; the second to write finds the installation taken and answers 404."""
    with app.app_context():
        accounts.create_owner("First Shop", "first@shop.test", "long enough password")
        db.session.commit()
    monkeypatch.setattr(accounts, "owner_exists", lambda: False)  # it checked before the first one committed
    response = client.post("/setup", data={"shop_name": "Second Shop", "email": "second@shop.test",
                                           "password": "long enough password"})
    assert response.status_code == 404
    with app.app_context():
        assert [u.email for u in db.session.scalars(db.select(User))] == ["first@shop.test"]
        assert db.session.get(Installation, 1).owner_id is not None
    assert client.get("/customers").status_code == 302  # and nobody was signed in


@pytest.mark.parametrize("target", ["/customers\r\nSet-Cookie: x=1", "/customers%0d%0aX: y", "//evil.test/", "https://evil.test/"])
def test_login_never_follows_a_next_that_leaves_or_breaks_the_header(client, owner, target):
    response = client.post("/login?next=" + target.replace("\r", "%0d").replace("\n", "%0a"),
                           data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers"
