"""Two gunicorn servers and one task worker sharing Redis (the queue and the rate limits) and the database, as
a shop grown to several machines runs them: one login limit for both servers, and an import uploaded and
confirmed on one, run by the worker, followed on the other."""

import subprocess
import sys
import time
import uuid
from contextlib import ExitStack

import pytest

from crm import create_app
from crm.extensions import db
from crm.services import accounts

from .conftest import REDIS, app_config
from .live_server import ROOT, Browser, gunicorn, own_database, server_env
from .redisserver import RedisServer, RedisUnavailable
from .test_import_pages import GOOD, MAPPING, args
from .test_rate_limits import TOKEN

pytestmark = pytest.mark.concurrency
WAIT = 60


@pytest.fixture
def shared_redis():
    """The run's Redis (the PostgreSQL leg), else one of this test's own; skipped without redis-server."""
    if REDIS:
        yield REDIS["url"]  # emptied before each test (conftest.empty_redis)
        return
    try:
        server = RedisServer()
        url = server.start()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
    yield url
    server.stop()


@pytest.fixture
def shop(database_url, shared_redis, tmp_path):
    """Two servers (one process each) and a worker on a database of the test's own, sharing `shared_redis`."""
    config = {"REDIS_URL": shared_redis, "RATELIMIT_STORAGE_URI": shared_redis, "IMPORT_DIR": str(tmp_path / "imports")}
    with own_database(database_url, tmp_path, "shared") as url, ExitStack() as stack:
        app = create_app(app_config(url))
        with app.app_context():
            accounts.create_owner("Koala Goods", "owner@shop.test", "correct horse battery")
            db.session.commit()
            db.engine.dispose()
        servers = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(stack.enter_context(gunicorn(url, tmp_path / name, workers=1, **config)))
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "crm", "worker"], cwd=ROOT,
                                  env={**server_env(url, **config), "PYTHONPATH": str(ROOT)}, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            yield servers
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()


def multipart(fields: dict, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with `fields` and one file "file"; and its content type."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def until(condition, what: str):
    """Poll `condition` until it is true (WAIT seconds at most)."""
    deadline = time.monotonic() + WAIT
    while not (found := condition()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.2)
    return found


def logged_in(port: int) -> Browser:
    browser = Browser(port)
    token = TOKEN.search(browser.request("GET", "/login").text).group(1)
    answer = browser.post("/login", {"email": "owner@shop.test", "password": "correct horse battery",
                                     "csrf_token": token})
    assert answer.status == 302, answer.text
    return browser


def test_an_import_confirmed_on_one_server_is_followed_on_the_other(shop):
    a, b = shop
    on_a = logged_in(a.port)
    token = TOKEN.search(on_a.request("GET", "/customers/import").text).group(1)
    body, content_type = multipart({"csrf_token": token}, "customers.csv", GOOD.encode())
    answer = on_a.request("POST", "/customers/import", body, {"Content-Type": content_type})
    assert answer.status == 303, answer.text
    preview = answer.location
    on_b = Browser(b.port, on_a.cookie)  # the same sign-in: sessions live in the shared database
    query = "&".join(f"{k}={v}" for k, v in args(MAPPING).items())
    page = until(lambda: (lambda text: "To create" in text and text)(on_b.request("GET", f"{preview}?{query}").text),
                 "the dry run on the worker")
    confirm = TOKEN.search(page).group(1)
    assert on_b.post(f"{preview}/import", {**args(MAPPING), "csrf_token": confirm}).status == 303
    done = until(lambda: (lambda text: "Import finished" in text and text)(
        on_a.request("GET", f"{preview}/progress").text), "the import on the worker")
    assert "Imported: 2 created, 0 updated, 0 skipped" in " ".join(done.split())


def test_both_servers_count_one_login_limit(shop):
    browsers = [Browser(server.port) for server in shop]
    tokens = [TOKEN.search(browser.request("GET", "/login").text).group(1) for browser in browsers]
    statuses = [browsers[i % 2].post("/login", {"email": "owner@shop.test", "password": "wrong",
                                                "csrf_token": tokens[i % 2]}).status for i in range(14)]
    assert statuses.count(401) == 10 and statuses.count(429) == 4, statuses
