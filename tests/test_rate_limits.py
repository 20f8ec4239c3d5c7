"""Rate limits counted in the database: one count for every process that serves the shop.

The storage's own behaviour is checked in-process; the limits themselves against gunicorn with two worker
processes, where in-memory counting let 20 of 24 wrong logins through (each worker counted to 10 alone).
"""

import re
import time

import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import RateLimitCounter
from crm.ratelimit import DatabaseStorage
from crm.services import accounts

from .conftest import app_config
from .live_server import Browser, gunicorn, own_database


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


TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn with two worker processes on a database of the test's own, with the owner account in it."""
    with own_database(database_url, tmp_path, "rate_limits") as url:
        app = create_app(app_config(url))
        with app.app_context():
            accounts.create_owner("Koala Goods", "owner@shop.test", "correct horse battery")
            db.session.commit()
            db.engine.dispose()
        with gunicorn(url, tmp_path, workers=2) as running:
            yield running


def form_poster(browser: Browser, page: str):
    """Post to `page` with the CSRF token its form carries (read once: it lasts as long as the session)."""
    token = TOKEN.search(browser.request("GET", page).text).group(1)
    return lambda path, form: browser.post(path, {**form, "csrf_token": token}).status


@pytest.mark.concurrency
def test_wrong_logins_are_counted_across_worker_processes(server):
    post = form_poster(Browser(server.port), "/login")
    statuses = [post("/login", {"email": "owner@shop.test", "password": "wrong"}) for _ in range(24)]
    assert statuses.count(401) == 10 and statuses.count(429) == 14, statuses


@pytest.mark.concurrency
def test_follow_limits_are_counted_across_worker_processes(server):
    post = form_poster(Browser(server.port), "/follow")
    sent = [post("/follow", {"email": f"visitor{n}@example.test"}) for n in range(14)]
    assert sent.count(303) == 10 and sent.count(429) == 4, sent
    checked = [post("/follow/verify", {"code": "000000"}) for _ in range(34)]
    assert checked.count(429) == 4 and 429 not in checked[:30], checked
