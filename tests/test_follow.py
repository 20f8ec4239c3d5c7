"""Following the store: codes through a real SMTP server on loopback, limits, consent and its proof."""

import logging
import re
import socket
import time
from datetime import timedelta
from html import unescape

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import event, func, select

from crm.extensions import db
from crm.models import AuditEvent, Customer, FollowCode, utcnow
from crm.services import follow, mail, serial

from .factories import committed_customer
from .html import page
from .mailserver import Collector, free_port, last_code, start_server, wrong_code

SHOP = "Koala Goods"


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 collecting what it receives."""
    controller = start_server(Collector())
    yield controller
    controller.stop()


@pytest.fixture
def mailing(app, smtp, owner):
    """The app sending mail through the loopback server, with the owner (and so the shop name) in place."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="shop@koala.test")
    return smtp.handler


def ask(client, address="Visitor@Example.test"):
    """Post the email form."""
    return client.post("/follow", data={"email": address})


def verify(client, code):
    """Post the code form."""
    return client.post("/follow/verify", data={"code": code})


def text(response) -> str:
    """The response body as text, entities decoded (Jinja writes apostrophes as &#39;)."""
    return unescape(response.get_data(as_text=True))


def outline(doc) -> str:
    """The page's tree written out again, each element with its attributes and text, for comparing pages."""
    return "\n".join(f"{'  ' * len(list(e.ancestors()))}{e!r} {e.text}" for e in doc.iter())


def count(app, model, *where) -> int:
    """Rows of a model (matching the conditions)."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the pages -----------------------------------------------------------------------------------------------


def test_follow_page_is_public_and_names_its_parts(client, owner):
    response = client.get("/follow")
    assert response.status_code == 200
    doc = page(response)
    assert doc.heading(f"Follow {SHOP}").tag == "h1"
    assert doc.field("Email")["autocomplete"] == "email"
    assert doc.button("Send code")["type"] == "submit"


def test_follow_page_works_before_the_owner_exists(client):
    response = client.get("/follow")
    assert response.status_code == 200
    assert page(response).heading("Follow My shop").tag == "h1"


def test_code_is_emailed_and_only_its_keyed_hash_is_stored(client, app, mailing):
    response = ask(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/follow/verify")
    assert len(mailing.messages) == 1
    rcpt, message = mailing.messages[0]
    assert rcpt == ["visitor@example.test"]
    assert message["To"] == "visitor@example.test"
    assert message["From"] == "shop@koala.test"
    assert message["Subject"] == f"Your code for {SHOP}"
    assert message["Date"] and message["Message-ID"]
    code = last_code(mailing)
    body = message.get_body(("plain",)).get_content()
    assert f"Your code for {SHOP} is {code}. It expires in 10 minutes." in body
    assert code in message.get_body(("html",)).get_content()
    with app.app_context():
        row = db.session.scalars(select(FollowCode)).one()
        assert row.email == "visitor@example.test"
        assert len(row.code_hash) == 64 and code not in row.code_hash
        assert row.code_hash == follow.hash_code("test", "visitor@example.test", code)
        assert row.expires_at - row.created_at == timedelta(minutes=10)
        assert row.attempts == 0 and row.used_at is None
        assert row.requested_from == "127.0.0.1"


def test_verify_page_asks_for_the_code(client, mailing):
    ask(client)
    response = client.get("/follow/verify")
    assert response.status_code == 200
    doc = page(response)
    assert doc.heading(f"Follow {SHOP}").tag == "h1"
    code = doc.field("Verification code")
    assert code["inputmode"] == "numeric" and code["autocomplete"] == "one-time-code"
    assert doc.button("Verify").form is code.form
    assert "visitor@example.test" in doc.text
    assert doc.button("Send a new code").form.form_data()["email"] == "visitor@example.test"
    assert doc.link("Use a different email")["href"] == "/follow"


def test_right_code_makes_a_prospect_with_recorded_consent(client, app, mailing):
    ask(client)
    response = verify(client, last_code(mailing))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/follow/done")
    done = client.get("/follow/done")
    assert done.status_code == 200
    assert f"You're following {SHOP}" in text(done)
    with app.app_context():
        code_row = db.session.scalars(select(FollowCode)).one()
        assert code_row.used_at is not None
        customer = db.session.scalars(select(Customer)).one()
        assert customer.email == "visitor@example.test"
        assert customer.first_name == "" and customer.last_name == ""
        assert customer.display_name == "visitor@example.test"
        assert customer.source == "follow"
        assert customer.segment == "prospect"
        assert customer.email_marketing is True
        assert customer.email_marketing_method == "follow"
        assert customer.email_marketing_at == code_row.used_at
        assert "visitor@example.test" in customer.search_text
        trail = db.session.scalars(select(AuditEvent)).one()
        assert trail.action == "create" and trail.actor == "Follow page" and trail.user_id is None
        assert trail.customer_id == customer.id
        assert trail.detail.startswith("Followed the shop; email marketing consent verified by one-time code")
        assert f"one-time code #{code_row.id}" in trail.detail
        assert code_row.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") in trail.detail
        assert "from 127.0.0.1" in trail.detail


def test_follower_shows_in_the_prospect_tab(client, app, mailing, auth):
    ask(client)
    verify(client, last_code(mailing))
    auth.login()
    html = text(client.get("/customers?segment=prospect"))
    assert "visitor@example.test" in html
    with app.app_context():
        customer_id = db.session.scalar(select(Customer.id))
    profile = text(client.get(f"/customers/{customer_id}"))
    assert "Followed the shop" in profile
    assert "(verified by an emailed code)" in profile
    assert "Created: Followed the shop; email marketing consent verified by one-time code #" in profile


def test_existing_customer_gets_consent_and_nothing_else_changes(client, app, mailing):
    customer_id = committed_customer(app, "Ada", "Lovelace", email="Ada@Example.test", phone="+61412345678")
    ask(client, "ada@example.TEST")
    assert verify(client, last_code(mailing)).status_code == 303
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert (customer.first_name, customer.last_name, customer.phone) == ("Ada", "Lovelace", "+61412345678")
        assert customer.email == "Ada@Example.test"
        assert customer.source == "manual"
        assert customer.email_marketing is True and customer.email_marketing_method == "follow"
        assert count(app, Customer) == 1
        trail = db.session.scalars(select(AuditEvent)).one()
        assert trail.action == "edit" and trail.field == "Email marketing"
        assert (trail.old_value, trail.new_value) == ("No", "Yes")
        assert trail.actor == "Follow page"
        assert trail.detail.startswith("turned on from the follow page, consent verified by one-time code #")


def test_following_again_changes_nothing(client, app, mailing):
    ask(client)
    verify(client, last_code(mailing))
    with app.app_context():
        first = db.session.scalars(select(Customer)).one()
        consent_at, customer_id = first.email_marketing_at, first.id
    ask(client, "VISITOR@example.test")
    response = verify(client, last_code(mailing))
    assert response.status_code == 303
    assert f"You're following {SHOP}" in text(client.get("/follow/done"))
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        assert customer.id == customer_id
        assert customer.email_marketing_at == consent_at
    assert count(app, AuditEvent) == 1


def test_same_answer_for_customers_and_strangers(client, app, mailing):
    committed_customer(app, "Ada", email="known@example.test")
    answers = []
    for address in ("known@example.test", "stranger@example.test"):
        response = ask(client, address)
        verify_page = client.get("/follow/verify")
        doc = page(verify_page)
        # CSRF tokens carry the second they were made in, so two pages can differ there alone
        doc.find("body").attrs["hx-headers"] = "TOKEN"
        for token in doc.find_all("input", name="csrf_token"):
            token.attrs["value"] = "TOKEN"
        answers.append((response.status_code, response.headers["Location"], verify_page.status_code,
                        outline(doc).replace(address, "ADDRESS")))
    assert answers[0] == answers[1]
    assert len(mailing.messages) == 2


def test_asking_for_a_code_never_reads_the_customers(client, app, mailing):
    committed_customer(app, "Ada", email="known@example.test")
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement.lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert ask(client, "known@example.test").status_code == 303
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert statements
    assert not [s for s in statements if re.search(r"\bcustomer\b", s)]


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter your email address"),
    ("not-an-email", "Enter a valid email address"),
    ("someone@", "Enter a valid email address"),
])
def test_bad_email_says_why_and_keeps_it(client, mailing, typed, message):
    response = ask(client, typed)
    assert response.status_code == 422
    email = page(response).field("Email")
    assert email.invalid and message in email.description
    assert email.value == typed
    assert mailing.messages == []


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the code from the email"),
    ("12345", "The code has 6 digits"),
    ("1234567", "The code has 6 digits"),
    ("12a456", "The code has 6 digits"),
])
def test_bad_code_says_why_and_keeps_it(client, app, mailing, typed, message):
    ask(client)
    response = verify(client, typed)
    assert response.status_code == 422
    code = page(response).field("Verification code")
    assert code.invalid and message in code.description
    assert code.value == typed
    with app.app_context():
        assert db.session.scalars(select(FollowCode)).one().attempts == 0  # not a try at the code


def test_spaces_in_the_code_dont_matter(client, mailing):
    ask(client)
    code = last_code(mailing)
    assert verify(client, f" {code[:3]} {code[3:]} ").status_code == 303


def test_wrong_code_says_how_many_tries_are_left_then_the_code_dies(client, app, mailing):
    ask(client)
    code = last_code(mailing)
    for left in (4, 3, 2):
        response = verify(client, wrong_code(code))
        assert response.status_code == 422
        assert f"That code isn't right. You have {left} tries left." in text(response)
        assert page(response).field("Verification code").value == wrong_code(code)
    assert "You have 1 try left." in text(verify(client, wrong_code(code)))
    response = verify(client, wrong_code(code))
    assert response.status_code == 422
    assert "Too many wrong tries: this code no longer works." in text(response)
    # Dead means dead: the right code doesn't work either, and no one follows.
    response = verify(client, code)
    assert "Too many wrong tries" in text(response)
    assert "primary" in page(response).button("Send a new code")["class"].split()
    assert count(app, Customer) == 0
    with app.app_context():
        assert db.session.scalars(select(FollowCode)).one().attempts == 5
    # A new code works.
    assert ask(client).status_code == 303
    assert verify(client, last_code(mailing)).status_code == 303
    assert count(app, Customer) == 1


def test_expired_code_is_refused(client, app, mailing):
    ask(client)
    with app.app_context():
        row = db.session.scalars(select(FollowCode)).one()
        row.created_at = utcnow() - timedelta(minutes=11)
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = verify(client, last_code(mailing))
    assert response.status_code == 422
    assert "This code has expired." in text(response)
    assert "primary" in page(response).button("Send a new code")["class"].split()
    assert count(app, Customer) == 0


def test_a_code_works_once(app, mailing):
    with app.app_context():
        record = follow.send_code("once@example.test", shop_name=SHOP, secret_key="test",
                                  settings=mail.MailSettings.from_config(app.config), requested_from="::1")
        db.session.commit()
        code = last_code(mailing)
        first = follow.check_code(record.id, "once@example.test", code, secret_key="test")
        assert first.state is follow.CodeState.ACCEPTED
        again = follow.check_code(record.id, "once@example.test", code, secret_key="test")
        assert again.state is follow.CodeState.USED
        # A code is only good for the address it went to, and with the key it was made with.
        assert follow.check_code(record.id, "other@example.test", code,
                                 secret_key="test").state is follow.CodeState.MISSING
        assert follow.hash_code("other key", "once@example.test", code) != record.code_hash


def test_code_page_after_success_starts_again(client, mailing):
    ask(client)
    code = last_code(mailing)
    verify(client, code)
    # The browser's pending code is gone: sending the same code again goes back to the start.
    response = verify(client, code)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/follow")


def test_used_code_from_an_old_session_is_refused(client, app, mailing):
    ask(client)
    code = last_code(mailing)
    with client.session_transaction() as saved:
        pending = dict(saved["follow_pending"])
    verify(client, code)
    with client.session_transaction() as sess:
        sess["follow_pending"] = pending
    response = verify(client, code)
    assert response.status_code == 422
    assert "This code has already been used." in text(response)


def test_at_most_three_codes_an_hour_for_an_address(client, app, mailing):
    for _ in range(3):
        assert ask(client).status_code == 303
    response = ask(client, "visitor@EXAMPLE.test")
    assert response.status_code == 429
    html = text(response)
    assert "This address has had 3 codes in the last hour." in html
    assert page(response).field("Email").value.lower() == "visitor@example.test"  # as typed
    assert len(mailing.messages) == 3
    assert count(app, FollowCode) == 3
    # Other addresses are not held up, and an hour later this one may ask again.
    assert ask(client, "other@example.test").status_code == 303
    with app.app_context():
        for row in db.session.scalars(select(FollowCode)):
            row.created_at -= timedelta(minutes=61)
        db.session.commit()
    assert ask(client).status_code == 303


def test_sending_codes_is_rate_limited_per_client_address(client, app, mailing):
    app.config["FOLLOW_RATE_LIMIT"] = "2 per hour"
    assert ask(client, "a@example.test").status_code == 303
    assert ask(client, "b@example.test").status_code == 303
    response = ask(client, "c@example.test")
    assert response.status_code == 429
    html = text(response)
    assert "Too many requests from your network." in html
    doc = page(response)
    assert doc.heading(f"Follow {SHOP}").tag == "h1"
    assert doc.field("Email").value == "c@example.test"
    assert len(mailing.messages) == 2
    # Looking at the page is not limited.
    assert client.get("/follow").status_code == 200


def test_typing_codes_is_rate_limited_per_client_address(client, app, mailing):
    app.config["FOLLOW_VERIFY_RATE_LIMIT"] = "2 per hour"
    ask(client)
    code = last_code(mailing)
    verify(client, wrong_code(code))
    verify(client, wrong_code(code))
    response = verify(client, code)
    assert response.status_code == 429
    html = text(response)
    assert "Too many requests from your network." in html
    assert page(response).field("Verification code").value == code
    assert count(app, Customer) == 0


# --- without a mail server, and with a broken one ---------------------------------------------------------------


def test_without_a_mail_server_the_log_says_so_without_the_code(client, app, owner, caplog):
    assert app.config["MAIL_SERVER"] is None and not app.debug
    with caplog.at_level(logging.WARNING, logger="crm"):
        assert ask(client, "Quiet@Example.test").status_code == 303
    found = [r.getMessage() for r in caplog.records if "quiet@example.test" in r.getMessage()]
    assert found == ["No mail server set (CRM_MAIL_SERVER): the follow code for quiet@example.test was not sent"]
    assert not re.search(r"\d{6}", found[0])


def test_without_a_mail_server_a_development_server_logs_the_code(client, app, owner, caplog):
    app.debug = True
    with caplog.at_level(logging.WARNING, logger="crm"):
        assert ask(client, "Log@Example.test").status_code == 303
    found = [r for r in caplog.records if "log@example.test" in r.getMessage()]
    assert found and found[0].levelno == logging.WARNING
    code = re.search(r"\b(\d{6})\b", found[0].getMessage()).group(1)
    assert verify(client, code).status_code == 303
    assert count(app, Customer, Customer.email == "log@example.test") == 1


def test_mail_server_down_shows_a_friendly_error(client, app, owner, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with caplog.at_level(logging.ERROR, logger="crm"):
        response = ask(client, "down@example.test")
    assert response.status_code == 503
    html = text(response)
    assert "We couldn't send the code just now. Please try again in a few minutes." in html
    assert page(response).field("Email").value == "down@example.test"
    assert any("down@example.test" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    # Nothing stored: a failed send doesn't use up the hour's codes.
    assert count(app, FollowCode) == 0


def test_mail_server_that_never_answers_times_out(client, app, owner):
    with socket.socket() as silent:
        # Listening but never accepting: the connection opens, the greeting never comes.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.5)
        started = time.monotonic()
        response = ask(client, "silent@example.test")
        assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert "We couldn't send the code just now." in text(response)


def test_mail_server_refusing_the_message_shows_the_same_error(client, app, owner):
    class Refuse:
        """A server that turns every recipient away."""

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            """Refuse the recipient."""
            return "550 No such user here"

    controller = start_server(Refuse())
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        response = ask(client, "refused@example.test")
    finally:
        controller.stop()
    assert response.status_code == 503
    assert "We couldn't send the code just now." in text(response)
    assert count(app, FollowCode) == 0


def test_database_locked_for_too_long_shows_the_same_error_and_stores_nothing(client, app, mailing, monkeypatch):
    def locked(work):
        """SQLite's write lock held by others for longer than the wait (serial.Busy)."""
        raise serial.Busy()

    monkeypatch.setattr(serial, "submit", locked)
    response = ask(client, "busy@example.test")
    assert response.status_code == 503
    assert "We couldn't send the code just now." in text(response)
    assert count(app, FollowCode) == 0 and mailing.messages == []


def test_the_code_is_stored_before_it_is_sent(client, app, owner):
    class Peek(Collector):
        """Counts the stored codes when the message arrives."""

        def __init__(self):
            super().__init__()
            self.stored = []

        async def handle_DATA(self, server, session, envelope):
            """Look in the database, then keep the message."""
            self.stored.append(count(app, FollowCode))
            return await super().handle_DATA(server, session, envelope)

    handler = Peek()
    controller = start_server(handler)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        assert ask(client, "early@example.test").status_code == 303
    finally:
        controller.stop()
    assert handler.stored == [1]  # committed first, so codes asked for meanwhile count it


# --- the flow's edges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [("GET", "/follow/verify"), ("POST", "/follow/verify"),
                                            ("GET", "/follow/done")])
def test_later_steps_without_a_code_start_again(client, owner, method, url):
    response = client.open(url, method=method, data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/follow")


def test_changing_the_email_fills_in_the_last_one(client, mailing):
    ask(client)
    assert page(client.get("/follow")).field("Email").value == "visitor@example.test"


def test_mail_settings_from_text_config():
    settings = mail.MailSettings.from_config({"MAIL_SERVER": "smtp.example.test", "MAIL_PORT": "587",
                                              "MAIL_USE_TLS": "true", "MAIL_USERNAME": "shop",
                                              "MAIL_PASSWORD": 123456})  # CRM_MAIL_PASSWORD=123456 is JSON
    assert (settings.server, settings.port, settings.use_tls, settings.username, settings.password) == (
        "smtp.example.test", 587, True, "shop", "123456")
    assert settings.sender == "crm@localhost" and settings.timeout == 10
    assert mail.MailSettings.from_config({}).server is None


def test_message_headers_stay_on_one_line():
    settings = mail.MailSettings(server="x", sender="Koala Goods <shop@koala.test>")
    message = mail.build_message(settings, "a@example.test", "Your code for Koala\nGoods", "text")
    assert message["Subject"] == "Your code for Koala Goods"
    assert message["Message-ID"].endswith("@koala.test>")


def test_mail_logs_in_when_given_a_username():
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        """Accept one account, remembering every attempt."""
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"shop" and auth_data.password == b"s3cret")

    handler = Collector()
    controller = start_server(handler, authenticator=authenticator, auth_require_tls=False)
    try:
        settings = mail.MailSettings(server="127.0.0.1", port=controller.port, username="shop", password="s3cret")
        mail.send(settings, mail.build_message(settings, "a@example.test", "Hello", "Hi"))
        assert logins == [(b"shop", b"s3cret")]
        assert len(handler.messages) == 1
        # STARTTLS asked of a server that doesn't offer it is a failure too, never a plain-text fallback.
        tls = mail.MailSettings(server="127.0.0.1", port=controller.port, use_tls=True)
        with pytest.raises(mail.MailError):
            mail.send(tls, mail.build_message(tls, "a@example.test", "Hello", "Hi"))
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_codes_are_six_random_digits():
    codes = {follow.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(codes) > 190
