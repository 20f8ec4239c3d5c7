"""Every check-then-insert path, raced by real parallel requests against a gunicorn server (2 processes,
4 threads each) on SQLite and on PostgreSQL.

Each path checks that something is free (no owner yet, an email or membership ID no other customer has,
fewer than 3 codes this hour, a code not used yet) and then writes. Requests that arrive together all pass
the check; the database must let exactly one of them write, and the others must get the answer the check
gives when the winner is already there, never a 500 (the server's log must show no traceback).
"""

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from crm import create_app
from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, FollowCode, Membership, Order, SavedView, User
from crm.services import accounts, tokens
from crm.services.shop import get_settings

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config, clean_database
from .factories import make_customer
from .live_server import Answer, Browser, gunicorn, own_database
from .mailserver import Collector, start_server

pytestmark = pytest.mark.concurrency

AT_ONCE = 10  # requests in each race: more than the server's 8 threads, so some queue as they would
ROUNDS = 5
SERVER_CONFIG = {
    "WTF_CSRF_ENABLED": "false",  # the forms' CSRF tokens are tested elsewhere; here they'd only add requests
    "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    "LOGIN_RATE_LIMIT": "1000 per minute",  # every client here is 127.0.0.1
    "FOLLOW_RATE_LIMIT": "1000 per hour",
    "FOLLOW_VERIFY_RATE_LIMIT": "1000 per hour",
}
DUPLICATE_EMAIL = "A customer with this email already exists"
DUPLICATE_MEMBERSHIP = "Another customer already has this membership ID"
TOO_MANY_CODES = "This address has had 3 codes in the last hour. Please wait a while and try again."
USED_CODE = "This code has already been used. Send a new code to try again."


@pytest.fixture(scope="module")
def server_url(database_url, tmp_path_factory):
    """A database of this module's own, migrated."""
    with own_database(database_url, tmp_path_factory.mktemp("races"), "races") as url:
        yield url


@pytest.fixture(scope="module")
def server(server_url, tmp_path_factory):
    """One gunicorn for the module's races (starting one takes seconds); each test empties the database."""
    mailbox = Collector()
    smtp = start_server(mailbox)
    try:
        with gunicorn(server_url, tmp_path_factory.mktemp("server"), **SERVER_CONFIG, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=str(smtp.port)) as running:
            running.mailbox = mailbox  # the follow codes the server mails
            yield running
    finally:
        smtp.stop()


@pytest.fixture
def shop(server_url, server):
    """An app on the server's database, emptied (no owner: the first-run state); afterwards the server's
    log must show no traceback from this test."""
    app = create_app(app_config(server_url))
    with app.app_context():
        clean_database()
    server.assert_no_traceback()
    yield app
    with app.app_context():
        db.engine.dispose()
    server.assert_no_traceback()


@pytest.fixture
def owner(shop, server) -> Browser:
    """The owner account, and a browser logged in as the owner."""
    with shop.app_context():
        accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
    browser = Browser(server.port)
    answer = browser.post("/login", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert answer.status == 302, answer.text
    return browser


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Make the calls from threads of their own, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
        """Wait for the others, then send."""
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(answers: list[Answer]) -> Counter:
    """How many answers had each status."""
    return Counter(a.status for a in answers)


def scalar(app, stmt):
    """One value from the database."""
    with app.app_context():
        return db.session.scalar(stmt)


def customer_form(email: str, **fields) -> dict:
    """The "Add customer" / edit form as a browser posts it."""
    return {"first_name": fields.pop("first_name", "Race"), "last_name": "", "email": email, "phone": "",
            "whatsapp": "", "password": "", "street": "", "city": "", "state": "", "postcode": "",
            "country": "AU", **fields}


# ---- first run -----------------------------------------------------------------------------------------


def test_first_run_setup_makes_exactly_one_owner(shop, server):
    for round_ in range(ROUNDS * 2):
        with shop.app_context():
            clean_database()
        answers = at_once([lambda i=i: Browser(server.port).post("/setup", {
            "shop_name": "Koala Goods", "email": f"owner{round_}-{i}@shop.test", "password": OWNER_PASSWORD})
            for i in range(AT_ONCE)])
        assert not [a for a in answers if a.status >= 500], f"round {round_}"
        owners = scalar(shop, select(func.count()).select_from(User).where(User.role == "owner"))
        assert owners == 1, f"round {round_}: {owners} owners, answers {statuses(answers)}"
        # One lands on the dashboard as the owner; the others are refused (404: setup is gone), not let in.
        welcomed = [a for a in answers if a.status == 302 and a.location.endswith("/customers")]
        assert len(welcomed) == 1, f"round {round_}: {statuses(answers)}"


# ---- email uniqueness ----------------------------------------------------------------------------------


def spellings(email: str) -> list[str]:
    """The same address as different people type it."""
    local, domain = email.split("@")
    return [email, email.upper(), f"{local.capitalize()}@{domain}", f"{local}@{domain.upper()}"]


def test_same_email_added_at_once_makes_one_customer(shop, owner):
    for round_ in range(ROUNDS):
        email = f"twin{round_}@example.com"
        forms = spellings(email)
        answers = at_once([lambda i=i: owner.twin().post("/customers/new",
                                                         customer_form(forms[i % len(forms)]))
                           for i in range(AT_ONCE)])
        assert statuses(answers)[302] == 1, f"round {round_}: {statuses(answers)}"
        refused = [a for a in answers if a.status != 302]
        assert {a.status for a in refused} == {422}, statuses(answers)
        assert all(DUPLICATE_EMAIL in a.text for a in refused)
        assert scalar(shop, select(func.count()).select_from(Customer)
                      .where(func.lower(Customer.email) == email)) == 1


def test_same_email_at_once_from_the_form_the_checkout_and_the_follow_page(shop, server, owner):
    with shop.app_context():
        _, token = tokens.create_token("Checkout")
        db.session.commit()
    for round_ in range(ROUNDS * 2):  # three paths, three ways to win: more rounds to meet each ordering
        email = f"everywhere{round_}@example.com"
        visitor = Browser(server.port)
        assert visitor.post("/follow", {"email": email}).status == 303
        code = mailed_code(server, email)
        order = {"order_number": f"E-{round_}", "placed_at": "2026-01-01T10:00:00Z", "currency": "AUD",
                 "total": "10.00", "customer": {"email": email.upper(), "first_name": "Eve"}}
        form, api, follow = at_once([
            lambda: owner.twin().post("/customers/new", customer_form(email.capitalize())),
            lambda: Browser(server.port).request(
                "POST", "/api/v1/orders", json.dumps(order).encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}),
            lambda: visitor.post("/follow/verify", {"code": code}),
        ])
        assert form.status == 302 or (form.status == 422 and DUPLICATE_EMAIL in form.text), form
        assert api.status == 201, api
        assert follow.status == 303, follow
        with shop.app_context():
            customers = db.session.scalars(select(Customer).where(func.lower(Customer.email) == email)).all()
            assert len(customers) == 1, f"round {round_}"
            assert json.loads(api.text)["customer_id"] == customers[0].id
            assert customers[0].email_marketing  # the follow page's consent, on whichever customer won
            assert db.session.scalar(select(func.count()).select_from(Order)
                                     .where(Order.customer_id == customers[0].id)) == 1


# ---- membership IDs ------------------------------------------------------------------------------------


@pytest.fixture
def membership_on(shop):
    """The shop with Settings › Membership on."""
    with shop.app_context():
        get_settings().membership_enabled = True
        db.session.commit()


def holders(shop, membership_id: str) -> int:
    """How many customers hold the membership ID."""
    return scalar(shop, select(func.count()).select_from(Membership)
                  .where(Membership.membership_id == membership_id))


def test_same_membership_id_given_at_once_has_one_holder(shop, owner, membership_on):
    for round_ in range(ROUNDS):
        membership_id = f"M-RACE-{round_}"
        # typed in either case: IDs are stored upper case
        answers = at_once([lambda i=i: owner.twin().post("/customers/new", customer_form(
            f"member{round_}-{i}@example.com", membership_id=membership_id.lower() if i % 2 else membership_id))
            for i in range(AT_ONCE)])
        assert statuses(answers)[302] == 1, f"round {round_}: {statuses(answers)}"
        refused = [a for a in answers if a.status != 302]
        assert {a.status for a in refused} == {422}, statuses(answers)
        assert all(DUPLICATE_MEMBERSHIP in a.text for a in refused)
        assert holders(shop, membership_id) == 1


def test_same_membership_id_saved_at_once_by_edits_has_one_holder(shop, owner, membership_on):
    with shop.app_context():
        people = [make_customer(f"Member {i}", email=f"edit{i}@example.com") for i in range(AT_ONCE)]
        db.session.commit()
        ids = [(c.id, c.email) for c in people]
    for round_ in range(ROUNDS):
        membership_id = f"E-RACE-{round_}"
        answers = at_once([lambda i=i: owner.twin().post(f"/customers/{ids[i][0]}/edit", customer_form(
            ids[i][1], first_name=f"Member {i}", membership_id=membership_id)) for i in range(AT_ONCE)])
        assert statuses(answers)[302] == 1, f"round {round_}: {statuses(answers)}"
        refused = [a for a in answers if a.status != 302]
        assert {a.status for a in refused} == {422}, statuses(answers)
        assert all(DUPLICATE_MEMBERSHIP in a.text for a in refused)
        assert holders(shop, membership_id) == 1


# ---- saved view names ----------------------------------------------------------------------------------


def test_same_view_name_saved_at_once_makes_one_view(shop, owner):
    for round_ in range(ROUNDS):
        name = f"Big spenders {round_}"
        typed = [name, name.upper(), name.lower()]
        # each saves a different list (no "already shows this list"), all under one name in some case
        answers = at_once([lambda i=i: owner.twin().post(f"/customers/views?spent_min={100 * round_ + i}",
                                                         {"name": typed[i % len(typed)]})
                           for i in range(AT_ONCE)])
        assert statuses(answers)[303] == 1, f"round {round_}: {statuses(answers)}"
        refused = [a for a in answers if a.status != 303]
        assert {a.status for a in refused} == {422}, statuses(answers)
        assert all("There is a view called" in a.text for a in refused)
        assert scalar(shop, select(func.count()).select_from(SavedView)
                      .where(SavedView.name_key == name.casefold())) == 1


# ---- tag rows keep their customer's segment ---------------------------------------------------------------


def test_tags_added_while_orders_move_the_customer_keep_its_segment(shop, owner):
    """A tag put on a customer at the moment a checkout order moves them to another segment: the tag's copy of
    the segment (migration 0022) ends up the customer's, whichever commits first."""
    with shop.app_context():
        _, token = tokens.create_token("Checkout")
        db.session.commit()
    for round_ in range(ROUNDS):
        email = f"moving{round_}@example.com"
        customer_id = make_customer_at(shop, email)
        calls = [lambda i=i: owner.twin().post(f"/customers/{customer_id}/tags", {"name": f"Tag {round_}-{i}"})
                 for i in range(AT_ONCE // 2)]
        calls += [lambda i=i: Browser(owner.port).request(
            "POST", "/api/v1/orders", json.dumps({
                "order_number": f"M-{round_}-{i}", "placed_at": "2026-01-01T10:00:00Z", "currency": "AUD",
                "total": "600.00", "customer": {"email": email, "first_name": "Mo"}}).encode(),
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}) for i in range(AT_ONCE // 2)]
        answers = at_once(calls)
        assert not [a for a in answers if a.status >= 500], statuses(answers)
        with shop.app_context():
            stale = db.session.execute(text(
                "SELECT t.tag_id, t.segment, c.segment FROM customer_tag t JOIN customer c ON c.id = t.customer_id "
                "WHERE t.segment <> c.segment")).all()
            assert stale == [], f"round {round_}: {stale}"
            assert db.session.scalar(select(func.count()).select_from(CustomerTag)
                                     .where(CustomerTag.customer_id == customer_id)) == AT_ONCE // 2


def make_customer_at(app, email: str) -> int:
    """A prospect with that email, committed; its id."""
    with app.app_context():
        customer = make_customer("Mo", "Moving", email=email)
        db.session.commit()
        return customer.id


# ---- follow codes --------------------------------------------------------------------------------------


def mailed_code(server, email: str) -> str:
    """The newest follow code the server mailed to the address."""
    found = [re.search(r"\bis (\d{6})\.", message.get_body(("plain",)).get_content()).group(1)
             for recipients, message in list(server.mailbox.messages) if email.lower() in recipients]
    assert found, f"no code mailed to {email}"
    return found[-1]


def test_at_most_three_codes_an_hour_however_many_ask_at_once(shop, server):
    for round_ in range(ROUNDS):
        email = f"hurry{round_}@example.com"
        answers = at_once([lambda: Browser(server.port).post("/follow", {"email": email})
                           for _ in range(AT_ONCE)])
        assert statuses(answers) == {303: 3, 429: AT_ONCE - 3}, f"round {round_}"
        assert all(TOO_MANY_CODES in a.text for a in answers if a.status == 429)
        assert scalar(shop, select(func.count()).select_from(FollowCode)
                      .where(FollowCode.email == email)) == 3


def test_one_code_typed_in_many_tabs_at_once_is_used_once(shop, server):
    for round_ in range(ROUNDS):
        email = f"tabs{round_}@example.com"
        visitor = Browser(server.port)
        assert visitor.post("/follow", {"email": email}).status == 303
        code = mailed_code(server, email)
        answers = at_once([lambda: visitor.twin().post("/follow/verify", {"code": code})
                           for _ in range(AT_ONCE)])
        assert statuses(answers) == {303: 1, 422: AT_ONCE - 1}, f"round {round_}"
        assert all(USED_CODE in a.text for a in answers if a.status == 422)
        assert scalar(shop, select(func.count()).select_from(Customer).where(Customer.email == email)) == 1
        assert scalar(shop, select(func.count()).select_from(AuditEvent)
                      .where(AuditEvent.action == "create", AuditEvent.subject == email)) == 1


def test_codes_from_several_browsers_verified_at_once_make_one_follower(shop, server):
    for round_ in range(ROUNDS):
        email = f"browsers{round_}@example.com"
        visitors = []
        for _ in range(3):  # the hour's three codes, each in a browser of its own
            visitor = Browser(server.port)
            assert visitor.post("/follow", {"email": email}).status == 303
            visitors.append((visitor, mailed_code(server, email)))
        answers = at_once([lambda v=v, c=c: v.post("/follow/verify", {"code": c}) for v, c in visitors])
        assert statuses(answers) == {303: 3}, f"round {round_}"
        assert scalar(shop, select(func.count()).select_from(Customer).where(Customer.email == email)) == 1
        assert scalar(shop, select(func.count()).select_from(FollowCode)
                      .where(FollowCode.email == email, FollowCode.used_at.is_not(None))) == 3
