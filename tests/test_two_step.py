"""Two-step verification: setting it up, signing in with a code or a recovery code, replays, turning it off,
and the shop's requirement."""

from datetime import datetime, timezone

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, RecoveryCode
from crm.services import accounts, two_step
from crm.services.shop import get_settings

from .conftest import OWNER_EMAIL, OWNER_PASSWORD
from .html import page


def _secret(app) -> str:
    with app.app_context():
        return accounts.find_user(OWNER_EMAIL).totp_secret


def turn_on(client, app) -> list[str]:
    """Set up and turn on two-step for the owner through the pages; returns the recovery codes."""
    start = page(client.get("/account")).button("Set up two-step verification").form
    assert client.post(start["action"]).status_code == 302
    doc = page(client.get("/account/two-step"))
    secret = doc.by_id("totp-secret").text
    assert secret == _secret(app) and doc.find("svg") is not None
    form = doc.button("Turn on").form
    response = client.post(form["action"], data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return [item.text for item in page(response).by_role("list", "Recovery codes").all_by_role("listitem")]


def _step_back(app) -> None:
    """Forget which time step was used last, as if the next one had come (a test can't wait 30 seconds)."""
    with app.app_context():
        accounts.find_user(OWNER_EMAIL).totp_last_step -= 2
        db.session.commit()


def test_setting_up_shows_the_secret_and_a_qr_code_then_ten_codes(logged_in, app):
    codes = turn_on(logged_in, app)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)
        assert accounts.find_user(OWNER_EMAIL).two_step_on


def test_wrong_code_does_not_turn_it_on(logged_in, app):
    logged_in.post("/account/two-step")
    response = logged_in.post("/account/two-step/on", data={"code": "000000"})
    assert response.status_code == 422 and page(response).field("Code from your app").invalid
    with app.app_context():
        assert not accounts.find_user(OWNER_EMAIL).two_step_on


def _sign_in(client, code=None):
    response = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/login/verify"
    assert client.get("/customers").status_code == 302  # not signed in yet
    return None if code is None else client.post("/login/verify", data={"code": code})


def test_sign_in_asks_for_the_code(logged_in, app, auth):
    turn_on(logged_in, app)
    client = app.test_client()
    _sign_in(client)
    form = page(client.get("/login/verify")).button("Verify").form
    assert form.field("Code")["autocomplete"] == "one-time-code"
    assert client.post("/login/verify", data={"code": "123456"}).status_code == 401
    _step_back(app)
    assert client.post("/login/verify", data={"code": pyotp.TOTP(_secret(app)).now()}).status_code == 302
    assert client.get("/customers").status_code == 200


def test_a_code_is_taken_once(logged_in, app):
    turn_on(logged_in, app)
    code = pyotp.TOTP(_secret(app)).now()  # the code that turned it on: used already
    client = app.test_client()
    assert _sign_in(client, code).status_code == 401
    _step_back(app)
    assert _sign_in(app.test_client(), code).status_code == 302
    assert _sign_in(app.test_client(), code).status_code == 401  # the replay, in the same 30 seconds


def test_recovery_code_works_once(logged_in, app):
    codes = turn_on(logged_in, app)
    assert _sign_in(app.test_client(), codes[0].upper().replace("-", " ")).status_code == 302
    assert _sign_in(app.test_client(), codes[0]).status_code == 401
    assert _sign_in(app.test_client(), codes[1]).status_code == 302


def test_second_step_is_rate_limited(logged_in, app):
    turn_on(logged_in, app)
    client = app.test_client()
    _sign_in(client)
    statuses = [client.post("/login/verify", data={"code": "000000"}).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_turning_off_needs_the_password(logged_in, app):
    turn_on(logged_in, app)
    form = page(logged_in.get("/account/two-step")).button("Turn off").form
    refused = logged_in.post(form["action"], data={"password": "not my password"})
    assert refused.status_code == 422 and page(refused).field("Password").invalid
    with app.app_context():
        assert accounts.find_user(OWNER_EMAIL).two_step_on
    assert logged_in.post(form["action"], data={"password": OWNER_PASSWORD}).status_code == 302
    with app.app_context():
        user = accounts.find_user(OWNER_EMAIL)
        assert not user.two_step_on and user.totp_secret is None
        assert db.session.scalars(select(RecoveryCode)).all() == []
        assert [e.detail for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "two-step")
                                                     .order_by(AuditEvent.id))] == ["Turned on", "Turned off"]


def test_requiring_two_step_sends_members_to_set_it_up(logged_in, app):
    refused = logged_in.post("/settings/team/two-step", data={"require_two_step": "y"})
    assert refused.status_code == 302
    with app.app_context():
        assert not get_settings().require_two_step  # the owner has none yet
    turn_on(logged_in, app)
    assert page(logged_in.get("/settings/team")).field("Require two-step verification")
    assert logged_in.post("/settings/team/two-step", data={"require_two_step": "y"}).status_code == 302
    with app.app_context():
        assert get_settings().require_two_step
        staff = accounts.find_user(OWNER_EMAIL)
        from crm.models import User

        db.session.add(User(email="staff@shop.test", role="staff", password_hash=accounts.hash_password(OWNER_PASSWORD)))
        db.session.commit()
        assert staff.two_step_on
    member = app.test_client()
    assert member.post("/login", data={"email": "staff@shop.test", "password": OWNER_PASSWORD}).status_code == 302
    response = member.get("/customers")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-step"
    assert member.get("/customers", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/account/two-step"
    assert member.get("/account/two-step").status_code == 200
    assert member.post("/settings/team/two-step", data={}).status_code == 302  # sent to set up, not let through
    with app.app_context():
        assert get_settings().require_two_step


def test_only_the_owner_sets_the_requirement(app, owner):
    with app.app_context():
        from crm.models import User

        db.session.add(User(email="staff@shop.test", role="staff", password_hash=accounts.hash_password(OWNER_PASSWORD)))
        db.session.commit()
    member = app.test_client()
    member.post("/login", data={"email": "staff@shop.test", "password": OWNER_PASSWORD})
    assert member.post("/settings/team/two-step", data={}).status_code == 403


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12345\x00", "9" * 40])
def test_malformed_codes_are_refused(app, owner, typed):
    with app.app_context():
        user = accounts.find_user(OWNER_EMAIL)
        two_step.begin_setup(user)
        with pytest.raises(two_step.WrongCode):
            two_step.turn_on(user, typed)


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
NEARBY = {pyotp.TOTP(SECRET).at(AT.timestamp() + 30 * n) for n in (-1, 0, 1)}
FAR = pyotp.TOTP(SECRET).at(AT.timestamp() + 300)


@given(typed=st.one_of(st.text(max_size=30), st.sampled_from(sorted(NEARBY) + [FAR]),
                       st.sampled_from(sorted(NEARBY)).map(lambda c: f" {c[:3]} {c[3:]} ")))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_only_the_apps_code_of_now_signs_in(app, owner, typed):
    with app.app_context():
        user = accounts.find_user(OWNER_EMAIL)
        user.totp_secret, user.two_step_since, user.totp_last_step = SECRET, AT, None
        try:
            two_step.verify(user, typed, AT)
            accepted = True
        except two_step.WrongCode:
            accepted = False
        assert accepted == (typed.strip().replace(" ", "") in NEARBY)
        db.session.rollback()
