"""The account page: name and email, changing the password, and the list of signed-in sessions."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, User, UserSession
from crm.services import accounts, devices, passwords, sessions

from .conftest import OWNER_EMAIL, OWNER_PASSWORD
from .html import page

NEW_PASSWORD = "a much longer passphrase"


def _owner() -> User:
    return accounts.find_user(OWNER_EMAIL)


def _change(client, current, new):
    return client.post("/account/password", data={"password-current": current, "password-new": new})


def test_nav_names_the_person_and_links_to_the_account(logged_in):
    nav = page(logged_in.get("/customers")).by_role("navigation", "Main")
    assert nav.link(OWNER_EMAIL)["href"] == "/account"
    doc = page(logged_in.get("/account"))
    assert doc.heading("Your account")
    for label in ("Current password", "New password"):
        assert doc.button("Change password").form.field(label)["type"] == "password"


def test_password_change_keeps_this_session_and_ends_the_others(logged_in, app, auth, client):
    other = app.test_client()
    assert other.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 302
    response = _change(logged_in, OWNER_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Password changed" in page(logged_in.get("/account")).by_role("status").text
    assert other.get("/customers").status_code == 302
    with app.app_context():
        assert accounts.authenticate(OWNER_EMAIL, NEW_PASSWORD) is not None
        assert accounts.authenticate(OWNER_EMAIL, OWNER_PASSWORD) is None


@pytest.mark.parametrize(("current", "new", "label", "message"), [
    ("wrong password!", NEW_PASSWORD, "Current password", "That is not your current password"),
    (OWNER_PASSWORD, "short one", "New password", "Use at least 12 characters"),
    (OWNER_PASSWORD, "1qaz2wsx3edc", "New password", "one of the most common"),
    (OWNER_PASSWORD, "Q1W2E3R4T5Y6", "New password", "one of the most common"),
    ("", NEW_PASSWORD, "Current password", "Enter your current password"),
])
def test_password_change_refused(logged_in, app, current, new, label, message):
    response = _change(logged_in, current, new)
    assert response.status_code == 422
    field = page(response).button("Change password").form.field(label)
    assert field.invalid and message in field.description
    with app.app_context():
        assert accounts.authenticate(OWNER_EMAIL, OWNER_PASSWORD) is not None


@given(st.text(max_size=40))
@settings(max_examples=60, deadline=None)
def test_the_password_rule_takes_long_uncommon_passwords_only(typed):
    problem = passwords.account_password_problem(typed)
    if len(typed) < 12:
        assert problem == "Use at least 12 characters"
    elif typed.strip().lower() in passwords.common_passwords():
        assert "common" in problem
    else:
        assert problem is None


def test_name_and_email_change(logged_in, app):
    response = logged_in.post("/account/profile", data={"profile-name": "  Kim   Lee ", "profile-email": OWNER_EMAIL})
    assert response.status_code == 302
    assert page(logged_in.get("/customers")).by_role("navigation", "Main").link("Kim Lee")
    refused = logged_in.post("/account/profile", data={"profile-name": "Kim", "profile-email": "kim@shop.test",
                                                       "profile-password": "wrong password"})
    assert refused.status_code == 422
    assert page(refused).field("Your password").invalid
    done = logged_in.post("/account/profile", data={"profile-name": "Kim", "profile-email": "Kim@Shop.test",
                                                    "profile-password": OWNER_PASSWORD})
    assert done.status_code == 302
    with app.app_context():
        assert accounts.find_user("kim@shop.test").name == "Kim"


def test_email_of_another_account_is_refused(logged_in, app):
    with app.app_context():
        db.session.add(User(email="staff@shop.test", password_hash="x", role="staff"))
        db.session.commit()
    response = logged_in.post("/account/profile", data={"profile-name": "", "profile-email": "STAFF@shop.test",
                                                        "profile-password": OWNER_PASSWORD})
    assert response.status_code == 422
    assert "Another account has this email" in page(response).field("Email").description


@given(name=st.text(max_size=120))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_typed_names_are_kept_squeezed_or_refused(logged_in, app, name):
    response = logged_in.post("/account/profile", data={"profile-name": name, "profile-email": OWNER_EMAIL})
    with app.app_context():
        stored = _owner().name
    if response.status_code == 302:
        assert stored == " ".join(name.split()) and len(stored) <= 100
    else:
        assert response.status_code == 422 and page(response).field("Name").invalid


def test_sessions_list_and_sign_out_one(logged_in, app):
    other = app.test_client()
    other.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD},
               headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Safari/604.1"})
    doc = page(logged_in.get("/account"))
    table = doc.by_role("table", "Where this account is signed in")
    assert len(table.rows()) == 3  # the header and two sessions
    button = doc.button(button_name(doc, "Safari on iPhone"))
    assert logged_in.post(button.form["action"]).status_code == 302
    assert other.get("/customers").status_code == 302
    assert logged_in.get("/customers").status_code == 200


def button_name(doc, device: str) -> str:
    """The accessible name of the sign-out button of the session on this device."""
    return next(b.name for b in doc.all_by_role("button") if b.name.startswith(f"Sign out {device}"))


def test_sign_out_this_session_logs_out(logged_in, app):
    doc = page(logged_in.get("/account"))
    button = next(b for b in doc.all_by_role("button") if "(this session)" in b.name)
    response = logged_in.post(button.form["action"])
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert logged_in.get("/customers").status_code == 302


def test_sign_out_other_sessions(logged_in, app):
    others = [app.test_client() for _ in range(2)]
    for other in others:
        other.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert logged_in.post("/account/sessions/sign-out-others").status_code == 302
    assert all(other.get("/customers").status_code == 302 for other in others)
    assert logged_in.get("/customers").status_code == 200


def test_someone_elses_session_cant_be_signed_out(logged_in, app):
    with app.app_context():
        staff = User(email="staff@shop.test", password_hash="x", role="staff")
        db.session.add(staff)
        db.session.flush()
        sessions.start(staff, ip_address=None, user_agent="")
        db.session.commit()
        theirs = db.session.scalar(select(UserSession.id).where(UserSession.user_id == staff.id))
    logged_in.post(f"/account/sessions/{theirs}/sign-out")
    with app.app_context():
        assert db.session.get(UserSession, theirs) is not None


def test_last_seen_is_written_at_most_once_a_minute(logged_in, app):
    with app.app_context():
        row = db.session.scalars(select(UserSession)).one()
        start = row.last_seen_at
    logged_in.get("/customers")
    with app.app_context():
        assert db.session.scalars(select(UserSession)).one().last_seen_at == start
        db.session.execute(db.update(UserSession).values(last_seen_at=start - timedelta(minutes=2)))
        db.session.commit()
    logged_in.get("/customers")
    with app.app_context():
        assert db.session.scalars(select(UserSession)).one().last_seen_at > start - timedelta(seconds=5)


@pytest.mark.parametrize(("agent", "device"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36 Edg/140.0", "Edge on Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox on Linux"),
    ("Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 Chrome/140.0 Mobile Safari/537.36", "Chrome on Android"),
    ("", "Unknown device"),
])
def test_devices_are_named_as_people_know_them(agent, device):
    assert devices.describe(agent) == device


def test_password_change_is_in_the_trail(logged_in, app):
    _change(logged_in, OWNER_PASSWORD, NEW_PASSWORD)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password")).one()
        assert event.actor == OWNER_EMAIL and event.customer_id is None
