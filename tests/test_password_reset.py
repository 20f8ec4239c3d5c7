"""Forgotten passwords: the reset link by mail, single use, an hour, bound to the password; the same answer for
any address; rate limits; and the `flask users` commands."""

import re
import time

import pytest

from crm.extensions import db
from crm.services import accounts, resets

from .conftest import OWNER_EMAIL, OWNER_PASSWORD
from .html import page
from .mailserver import Collector, start_server

NEW_PASSWORD = "a much longer passphrase"


@pytest.fixture
def smtp(app):
    handler = Collector()
    controller = start_server(handler)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield handler
    controller.stop()


def _delivered(handler: Collector, count: int = 1) -> None:
    """Wait (up to 10 s) until the SMTP server has received `count` messages from the mail thread."""
    deadline = time.monotonic() + 10
    while len(handler.messages) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def _link(handler: Collector) -> str:
    _delivered(handler)
    _rcpt, message = handler.messages[-1]
    return re.search(r"http://localhost(/password/reset/\S+)", message.get_body(("plain",)).get_content()).group(1)


def _token_link(app) -> str:
    with app.app_context(), app.test_request_context():
        return "/password/reset/" + resets.make_token(accounts.find_user(OWNER_EMAIL))


def test_login_links_to_the_forgot_page(client, owner):
    link = page(client.get("/login")).link("Forgot your password?")
    form = page(client.get(link["href"])).button("Send reset link").form
    assert form.field("Email")["name"] == "email"


def test_reset_through_the_mailed_link(client, owner, smtp, app):
    response = client.post("/password/forgot", data={"email": OWNER_EMAIL.upper()})
    assert "a link to set a new password is on its way" in page(response).find("p", role="status").text
    link = _link(smtp)
    form = page(client.get(link)).button("Set password").form
    assert form.field("New password")["type"] == "password"
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 302
    with app.app_context():
        assert accounts.authenticate(OWNER_EMAIL, NEW_PASSWORD) is not None
    used = client.get(link)
    assert used.status_code == 410 and "no longer valid" in page(used).by_role("alert").text
    assert client.post(link, data={"password": "yet another passphrase"}).status_code == 410


def test_a_link_dies_when_the_password_changes(client, owner, app):
    link = _token_link(app)
    with app.app_context():
        accounts.set_password(accounts.find_user(OWNER_EMAIL), NEW_PASSWORD)
        db.session.commit()
    assert client.get(link).status_code == 410


def test_a_link_lasts_an_hour(client, owner, app, monkeypatch):
    now = time.time()
    monkeypatch.setattr(resets, "clock", lambda: now)
    link = _token_link(app)
    monkeypatch.setattr(resets, "clock", lambda: now + 3599)
    assert client.get(link).status_code == 200
    monkeypatch.setattr(resets, "clock", lambda: now + 3601)
    assert client.get(link).status_code == 410


@pytest.mark.parametrize("token", ["x", "a" * 600, "%00", "eyJ1c2VyIjoxfQ.x.y"])
def test_forged_links_are_no_longer_valid(client, owner, token):
    assert client.get(f"/password/reset/{token}").status_code == 410


def test_reset_password_follows_the_rule(client, owner, app):
    link = _token_link(app)
    response = client.post(link, data={"password": "password1234"})
    assert response.status_code == 422 and page(response).field("New password").invalid


def test_unknown_email_gets_the_same_answer_as_fast(client, owner, smtp, app):
    def answer(email):
        started = time.perf_counter()
        response = client.post("/password/forgot", data={"email": email})
        return time.perf_counter() - started, page(response).find("p", role="status").text

    app.config.update(RESET_EMAIL_RATE_LIMIT="1000 per hour", RESET_RATE_LIMIT="1000 per hour")
    known, unknown = [], []
    for n in range(20):
        known.append(answer(OWNER_EMAIL))
        _delivered(smtp, n + 1)  # the mail thread's work must not land in the next request's time
        unknown.append(answer("nobody@shop.test"))
    assert {text for _t, text in known} == {text for _t, text in unknown}
    # the fastest of each: what the request itself costs, without what else the machine was doing meanwhile
    gap = abs(min(t for t, _ in known) - min(t for t, _ in unknown))
    assert gap < 0.005, f"known and unknown emails differ by {gap * 1000:.1f} ms"


def test_reset_requests_are_limited_per_email(client, owner):
    statuses = [client.post("/password/forgot", data={"email": "nobody@shop.test"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many requests" in page(client.post("/password/forgot", data={"email": "NOBODY@shop.test"})).text
    assert client.post("/password/forgot", data={"email": "else@shop.test"}).status_code == 200


def test_reset_requests_are_limited_per_address(client, owner, app):
    app.config.update(RESET_RATE_LIMIT="5 per hour")
    statuses = [client.post("/password/forgot", data={"email": f"n{n}@shop.test"}).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_before_setup_the_first_account_made_on_the_command_line_is_the_owner(runner, app, client):
    staff = runner.invoke(args=["users", "create", "staff@shop.test", "--password", NEW_PASSWORD])
    assert staff.exit_code == 2 and "This shop has no owner yet" in staff.output
    assert client.get("/setup").status_code == 200  # nothing changed: setup still to do
    made = runner.invoke(args=["users", "create", "boss@shop.test", "--role", "owner", "--name", "Bo",
                               "--password", NEW_PASSWORD])
    assert made.exit_code == 0 and "first-run setup is done" in made.output
    assert client.get("/setup").status_code == 404  # nobody else can make themselves owner now
    client.post("/login", data={"email": "boss@shop.test", "password": NEW_PASSWORD})
    assert client.get("/customers").status_code == 200
    assert "boss@shop.test\tBo\towner" in runner.invoke(args=["users", "list"]).output


def test_users_commands(runner, owner, app, client):
    created = runner.invoke(args=["users", "create", "staff@shop.test", "--name", "Sam", "--password", NEW_PASSWORD])
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["users", "create", "x@shop.test", "--password", "short"]).exit_code != 0
    listed = runner.invoke(args=["users", "list"]).output
    assert "staff@shop.test\tSam\tstaff\ttwo-step off\tactive" in listed and OWNER_EMAIL in listed
    reset = runner.invoke(args=["users", "reset-password", OWNER_EMAIL, "--base-url", "https://crm.shop.test"])
    assert reset.exit_code == 0
    link = reset.stdout.strip()
    assert link.startswith("https://crm.shop.test/password/reset/")
    assert client.get(link.removeprefix("https://crm.shop.test")).status_code == 200
    staff = app.test_client()
    staff.post("/login", data={"email": "staff@shop.test", "password": NEW_PASSWORD})
    assert staff.get("/customers").status_code == 200
    done = runner.invoke(args=["users", "deactivate", "staff@shop.test"])
    assert done.exit_code == 0 and "every session of the account has ended" in done.output
    assert staff.get("/customers").status_code == 302
    assert staff.post("/login", data={"email": "staff@shop.test", "password": NEW_PASSWORD}).status_code == 401
    assert runner.invoke(args=["users", "deactivate", "nobody@shop.test"]).exit_code != 0
    with app.app_context():
        assert accounts.authenticate(OWNER_EMAIL, OWNER_PASSWORD) is not None
