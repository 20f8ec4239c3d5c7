"""Fixtures: a migrated database per run (SQLite, or PostgreSQL with --database postgresql), a fresh app per test."""

import os

import flask_migrate
import pytest
from sqlalchemy import delete, update

from crm import create_app
from crm.extensions import db
from crm.models import GazetteerSource, Locality, SegmentCount
from crm.services import accounts, gazetteer

from .factories import make_customer  # noqa: F401  (tests/fuzz/harness.py imports it from here)
from .html import parse
from .pgcluster import Cluster, PostgresUnavailable
from .redisserver import RedisServer, RedisUnavailable

OWNER_EMAIL = "owner@shop.test"
OWNER_PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    """--database picks the engine the suite runs against."""
    parser.addoption("--database", choices=("sqlite", "postgresql"),
                     default=os.environ.get("CRM_TEST_DATABASE", "sqlite"),
                     help="database engine for the suite (default: sqlite)")


def pytest_report_header(config):
    """Say which database this run uses."""
    return f"crm test database: {config.getoption('--database')}"


# The PostgreSQL leg runs with Redis as the task queue and the rate-limit store, as several machines would:
# {"url": ...} once the run's redis-server is up (tests/redisserver.py).
REDIS: dict[str, str] = {}


def redis_config() -> dict:
    """The settings that put the queue and the rate limits in the run's Redis, when there is one."""
    return {"REDIS_URL": REDIS["url"], "RATELIMIT_STORAGE_URI": REDIS["url"]} if REDIS else {}


def app_config(url: str, **extra) -> dict:
    """The app settings every test app uses."""
    return {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True, **redis_config(),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", **extra}  # still scrypt, cheaper for speed


@pytest.fixture(scope="session")
def redis_url(request):
    """On the PostgreSQL leg, a throwaway redis-server for the whole run (skipped without one, failed under CI)."""
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    try:
        server = RedisServer()
        REDIS["url"] = server.start()
    except RedisUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis could not start under CI: {exc}", pytrace=False)
        yield None  # the leg runs on the database alone
        return
    yield REDIS["url"]
    REDIS.clear()
    server.stop()


@pytest.fixture(autouse=True)
def empty_redis(redis_url):
    """Every test starts with the run's Redis empty (no queued task, no rate-limit count of an earlier test)."""
    flush_redis()


def flush_redis() -> None:
    """Empty the run's Redis (queued tasks, rate-limit counts), as clean_database empties the tables."""
    if REDIS:
        import redis

        with redis.Redis.from_url(REDIS["url"]) as client:
            client.flushdb()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory, redis_url):
    """A database migrated to the newest revision, once per run."""
    engine = request.config.getoption("--database")
    cluster = None
    if engine == "postgresql":
        try:
            cluster = Cluster()
            url = cluster.start()
        except PostgresUnavailable as exc:
            if cluster:
                cluster.stop()
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL could not start under CI: {exc}", pytrace=False)
            pytest.skip(f"PostgreSQL not available, skipped: {exc}")
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "crm-test.sqlite")
    app = create_app(app_config(url))
    with app.app_context():
        flask_migrate.upgrade()
        gazetteer.ensure_loaded()  # as the task worker does at start-up; suggestions only read it
        db.engine.dispose()
    yield url
    if cluster:
        cluster.stop()


def clean_database() -> None:
    """Empty every table (children first) so each test starts from nothing; segment counts go back to zero.

    The gazetteer stays: it is the same bundled data for every test, loaded once per run.
    """
    kept = (SegmentCount.__table__, Locality.__table__, GazetteerSource.__table__)
    for table in reversed(db.metadata.sorted_tables):
        if table not in kept:
            db.session.execute(delete(table))
    db.session.execute(update(SegmentCount).values(customers=0))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh app on an emptied database, with uploads, backups and a task queue of its own (never the
    instance folder's)."""
    app = create_app(app_config(database_url, IMPORT_DIR=str(tmp_path / "imports"), BULK_DIR=str(tmp_path / "bulk"),
                                BACKUP_DIR=str(tmp_path / "backups"), QUEUE_FILE=str(tmp_path / "queue.sqlite")))
    with app.app_context():
        clean_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def owner(app):
    """The owner account, created as /setup would."""
    with app.app_context():
        accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
    return OWNER_EMAIL


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email=OWNER_EMAIL, password=OWNER_PASSWORD):
        """Post the login form."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """Post the logout button's form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client, owner):
    """Login helper with the owner account present."""
    return AuthActions(client)


@pytest.fixture
def logged_in(client, auth):
    """A client logged in as the owner."""
    response = auth.login()
    assert response.status_code == 302
    return client


def csrf_token(html: bytes | str) -> str:
    """The CSRF token from a rendered form (the page's first)."""
    return parse(html).find("input", name="csrf_token")["value"]
