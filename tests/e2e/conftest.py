"""Browser fixtures: a live server on the test database, a clean slate per test, a logged-in page."""

import functools
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Locator, Page, expect
from werkzeug.serving import make_server

from crm import create_app
from crm.extensions import db
from crm.services import accounts
from crm.worker import queue
from crm.worker.consumer import Worker

from ..conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config, clean_database
from ..factories import committed_customer
from ..mailserver import Collector, start_server

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CRM_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Browser assertions wait at most this long: the server is local, so anything slower is a failure.
expect.set_options(timeout=5_000)

# How Chromium words a blocked inline script, handler, style or eval in the console (older versions say
# "Refused to ... because it violates the following Content Security Policy directive").
CSP_VIOLATION = "Content Security Policy directive"


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e as e2e, so `-m "not e2e"` skips the browser."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_app(database_url, tmp_path_factory):
    """The app the live server runs: real CSRF like production, a login limit no test run reaches."""
    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="1000 per minute",
                                IMPORT_DIR=str(tmp_path_factory.mktemp("imports")),
                                BULK_DIR=str(tmp_path_factory.mktemp("bulk")),
                                BACKUP_DIR=str(tmp_path_factory.mktemp("backups")),
                                QUEUE_FILE=str(tmp_path_factory.mktemp("queue") / "queue.sqlite")))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _ThreadsOnly(Worker):
    """The task worker's threads without its signal handlers, which belong to the test run."""

    def _set_signal_handlers(self) -> None:
        pass


@pytest.fixture(scope="session", autouse=True)
def task_worker(live_app):
    """The task worker's threads in this process, on the live app's queue: imports run as under `flask serve`,
    and a test's monkeypatches reach them as they reach the server. No scheduled jobs."""
    worker = _ThreadsOnly(live_app, queue.huey(live_app), threads=2, periodic=False)
    worker.start()
    yield worker
    worker.stop(graceful=True)


@contextmanager
def serving(wsgi_app) -> Iterator[str]:
    """Serve a WSGI app on a free local port in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="crm-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


# Every browser test shares one live server and its rate-limit counts: tests that send mail stay clear of them.
MAIL_LIMITS = ("FOLLOW_RATE_LIMIT", "FOLLOW_VERIFY_RATE_LIMIT", "RESET_RATE_LIMIT", "RESET_EMAIL_RATE_LIMIT")


@pytest.fixture
def mailbox(live_app, monkeypatch):
    """A loopback SMTP server the live app sends its mail to (follow codes, invitations, reset links); yields
    what it has received."""
    handler = Collector()
    controller = start_server(handler)
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", controller.port)
    for limit in MAIL_LIMITS:
        monkeypatch.setitem(live_app.config, limit, "1000 per hour")
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve the live app; yield its base URL."""
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in page.goto() go to the live server."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own download is unavailable here), quiet and sandbox-free."""
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if os.path.exists(CHROMIUM):
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations the test's pages reported, as "page: message (where)" lines."""
    return []


def watch_for_csp_violations(context: BrowserContext, violations: list[str]) -> None:
    """Collect, into `violations`, every console message of the context's pages that is a policy violation."""
    def on_console(message: ConsoleMessage) -> None:
        """Keep the console errors that are policy violations, with where they happened."""
        if message.type == "error" and CSP_VIOLATION in message.text:
            where = message.location
            violations.append(f"{message.page.url if message.page else '?'}: {message.text} "
                              f"({where['url']}:{where['lineNumber']})")

    context.on("console", on_console)


@pytest.fixture
def context(context: BrowserContext, csp_violations) -> BrowserContext:
    """pytest-playwright's browser context, failing the test if any page broke the Content-Security-Policy.

    A test that opens another context itself passes it to watch_for_csp_violations with `csp_violations`.
    """
    watch_for_csp_violations(context, csp_violations)
    yield context
    wait_for_reports(context)
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


def wait_for_reports(context: BrowserContext) -> None:
    """Take in the console messages each open page still has on the way (one round trip to it)."""
    for open_page in context.pages:
        try:
            open_page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")
        except Error:  # closed or navigating away: what it logged has arrived already
            pass


@pytest.fixture(autouse=True)
def clean_db(live_app):
    """Every browser test starts from an empty database."""
    with live_app.app_context():
        clean_database()
        db.session.remove()


@pytest.fixture
def seed(live_app):
    """make_customer(...) in the live app, committed; returns the new customer's id."""
    return functools.partial(committed_customer, live_app)


@pytest.fixture
def owner(live_app):
    """The owner account, created as /setup would."""
    with live_app.app_context():
        accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
        db.session.remove()
    return OWNER_EMAIL


def log_in(page: Page, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> None:
    """Fill and send the real login form."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def logged_in_page(page: Page, owner) -> Page:
    """A browser page logged in as the owner through the /login form, on the customer list."""
    page.goto("/login")
    log_in(page)
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    return page


def data_rows(page: Page) -> Locator:
    """The customer table's body rows (rows with data cells, not the header row)."""
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))


def expect_customers(page: Page, names: list[str]) -> None:
    """The table lists exactly these customers (any order), each by their name link."""
    rows = data_rows(page)
    expect(rows).to_have_count(len(names))
    for name in names:
        expect(rows.get_by_role("link", name=name, exact=True)).to_be_visible()


def first_row_name(page: Page) -> Locator:
    """The name link in the first row (the first link of a row is the customer's name)."""
    return data_rows(page).first.get_by_role("link").first


def mark_page(page: Page) -> None:
    """Leave a marker in the window that a full page load would wipe out."""
    page.evaluate("window.__marker = 1")


def assert_no_page_load(page: Page) -> None:
    """The marker from mark_page is still there, so only part of the page was swapped."""
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the results"
