"""Rate limits counted in the database: one count for every process that serves the shop.

The storage's own behaviour is checked in-process; the limits themselves against gunicorn with two worker
processes, where in-memory counting let 20 of 24 wrong logins through (each worker counted to 10 alone).
"""

import http.client
import re
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import RateLimitCounter
from crm.ratelimit import DatabaseStorage
from crm.services import accounts

from .test_api_concurrency import server, server_database  # noqa: F401  (fixtures)


def test_storage_counts_within_a_window_and_starts_again_after_it(app):
    storage = DatabaseStorage()
    with app.app_context():
        assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
        assert storage.get("k") == 3 and storage.incr("k", 60, amount=2) == 5
        assert time.time() < storage.get_expiry("k") <= time.time() + 60
        db.session.execute(db.update(RateLimitCounter).values(expires_at=time.time() - 1))
        db.session.commit()
        assert storage.get("k") == 0
        assert storage.incr("k", 60) == 1  # a window that ran out starts again at the next hit
        storage.clear("k")
        assert storage.get("k") == 0 and storage.check()


def test_storage_keeps_long_keys_apart_and_sweeps_windows_that_ran_out(app, monkeypatch):
    storage = DatabaseStorage()
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    with app.app_context():
        assert storage.incr(long_a, 60) == 1 and storage.incr(long_b, 60) == 1
        db.session.execute(db.update(RateLimitCounter).values(expires_at=time.time() - 1))
        db.session.commit()
        monkeypatch.setattr("crm.ratelimit.SWEEP_EVERY", 1)
        storage.incr("fresh", 60)
        assert db.session.scalars(select(RateLimitCounter.key)).all() == ["fresh"]
        assert storage.reset() == 1
        assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0


class Browser:
    """One client of the live server: its session cookie and the CSRF token of the last form it read."""

    def __init__(self, port: int):
        self.port, self.cookie, self.token = port, "", ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        """Send a request (a form as POST data with the CSRF token); return the status and body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        if found := re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text):
            self.token = found.group(1)
        conn.close()
        return response.status, text


@pytest.fixture
def owner_in_server_database(server_database):  # noqa: F811
    """The owner account in the live server's database."""
    from crm import create_app

    from .conftest import app_config

    app = create_app(app_config(server_database))
    with app.app_context():
        accounts.create_owner("Koala Goods", "owner@shop.test", "correct horse battery")
        db.session.commit()
        db.engine.dispose()


@pytest.mark.concurrency
def test_wrong_logins_are_counted_across_worker_processes(owner_in_server_database, server):  # noqa: F811
    port, _token = server
    browser = Browser(port)
    browser.request("GET", "/login")
    statuses = [browser.request("POST", "/login", {"email": "owner@shop.test", "password": "wrong"})[0]
                for _ in range(24)]
    assert statuses.count(401) == 10 and statuses.count(429) == 14, statuses


@pytest.mark.concurrency
def test_follow_limits_are_counted_across_worker_processes(server):  # noqa: F811
    port, _token = server
    browser = Browser(port)
    browser.request("GET", "/follow")
    sent = [browser.request("POST", "/follow", {"email": f"visitor{n}@example.test"})[0] for n in range(14)]
    assert sent.count(303) == 10 and sent.count(429) == 4, sent
    checked = [browser.request("POST", "/follow/verify", {"code": "000000"})[0] for _ in range(34)]
    assert checked.count(429) == 4 and 429 not in checked[:30], checked
