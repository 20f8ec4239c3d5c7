"""A real gunicorn server on a database of a test's own, for tests that send real parallel requests.

Both kinds of concurrency meet there: threads of one process share its connection pool, the processes only
the database. Used by the order API's load test and the check-then-insert races.
"""

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .mailserver import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "concurrency"


@contextmanager
def own_database(database_url: str, folder: Path, name: str, revision: str = "head") -> Iterator[str]:
    """A database of the caller's own, migrated to `revision`: a file in `folder` on SQLite, a database named
    after `name` (and this process) in the test run's cluster on PostgreSQL, dropped afterwards."""
    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{folder / f'{name}.sqlite'}", None
    else:
        import psycopg

        base = make_url(database_url)
        database = f"crm_{name}_{os.getpid()}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')
        url = base.set(database=database).render_as_string(hide_password=False)

        def drop():
            """Remove the database from the cluster, whoever is still connected."""
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    app = create_app(app_config(url))
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        lacking = _columns_lacking()
        db.engine.dispose()
    try:
        with _deferred(lacking):
            yield url
    finally:
        if drop:
            drop()


def _columns_lacking() -> dict:
    """Today's mapped columns that the database (at an older revision) doesn't have yet, by mapper."""
    tables = inspect(db.engine)
    present = {name: {c["name"] for c in tables.get_columns(name)} for name in tables.get_table_names()}
    lacking = {}
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table.name
        missing = [attr for attr in mapper.column_attrs
                   if table in present and attr.columns[0].name not in present[table]]
        if missing:
            lacking[mapper] = missing
    return lacking


@contextmanager
def _deferred(lacking: dict) -> Iterator[None]:
    """Let today's models and services use a database at an older revision (a migration test's starting
    point): ORM queries and updates leave out the columns it lacks. After each migration the lacking columns
    are looked up again, so once upgraded everything is read and written as usual."""
    now = {"lacking": lacking, "stale": False}

    def current() -> dict:
        """The columns lacking now (looked up again after a migration ran)."""
        if now["stale"]:
            now["lacking"], now["stale"] = _columns_lacking(), False
        return now["lacking"]

    def migrated(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        """A migration moved the revision: the lacking columns may have changed."""
        if "alembic_version" in statement and not statement.lstrip().upper().startswith("SELECT"):
            now["stale"] = True

    def leave_out(state) -> None:
        """Defer the lacking columns of the whole entities this query loads (Customer, not Customer.id)."""
        if not state.is_select:
            return
        loaded = [d["entity"] for d in state.statement.column_descriptions
                  if d.get("entity") is not None and d.get("expr") is d["entity"]]
        options = [defer(attr.class_attribute) for entity in loaded
                   for attr in current().get(inspect(entity).mapper, ())]
        if options:
            state.statement = state.statement.options(*options)

    def keep_out(session, _context, _instances) -> None:
        """Take today's services' changes to the lacking columns out of the flush (an erasure clears them)."""
        for row in session.dirty:
            state = inspect(row)
            for attr in current().get(state.mapper, ()):
                if state.attrs[attr.key].history.has_changes():
                    set_committed_value(row, attr.key, state.dict.get(attr.key))

    if not lacking:
        yield
        return
    listeners = ((Engine, "after_cursor_execute", migrated), (Session, "do_orm_execute", leave_out),
                 (Session, "before_flush", keep_out))
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def server_env(url: str, **config: str) -> dict:
    """The environment of a server process on `url`, with CRM_* settings added (e.g. WTF_CSRF_ENABLED)."""
    return {**os.environ, "CRM_DATABASE_URL": url, "CRM_SECRET_KEY": SECRET_KEY,
            **{f"CRM_{key}": value for key, value in config.items()}}


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app crm ...` in its own process on the given database."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "crm", *args], cwd=ROOT,
                          env=server_env(url), capture_output=True, text=True, timeout=120)


@dataclass
class Server:
    """A running server: where it listens and where it logs."""

    port: int
    log: Path
    checked: int = 0  # how much of the log was already looked at for tracebacks

    def assert_no_traceback(self) -> None:
        """Fail if the log got a traceback (a 500 somewhere) since the last look."""
        with self.log.open() as log:
            log.seek(self.checked)
            new = log.read()
            self.checked = log.tell()
        assert "Traceback" not in new, new


@contextmanager
def gunicorn(url: str, folder: Path, *, workers: int = 2, threads: int = 4,
             **config: str) -> Iterator[Server]:
    """gunicorn serving the app on `url` (2 processes, 4 threads each unless told) with CRM_* `config`.

    Fails if the log shows a traceback (a 500 somewhere) not already reported. More threads don't add
    throughput: they queue for the one write lock and the GIL.
    """
    port = free_port()
    log_path = folder / "gunicorn.log"
    log_file = log_path.open("w")  # a file, not a pipe: a full pipe would block the workers' logging
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=server_env(url, **config), stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(port, log_path)
    try:
        _wait_until_up(process, port, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()
        server.assert_no_traceback()


def _wait_until_up(process: subprocess.Popen, port: int, log_path: Path) -> None:
    """Poll /healthz until it answers (30 s at most), failing at once if the server exits."""
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)


@dataclass
class Answer:
    """A response as the tests read it."""

    status: int
    location: str
    text: str


class Browser:
    """One visitor: keeps the session cookie the server sets, sends each request on a new connection.

    A new connection each time, as separate browsers and checkouts would: kept-alive connections would all
    stay with the worker process that happened to accept them.
    """

    def __init__(self, port: int, cookie: str | None = None):
        self.port, self.cookie = port, cookie

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Answer:
        """Send one request; remember a new session cookie."""
        headers = {"Connection": "close", **(headers or {})}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or ():
                morsel = SimpleCookie(header).get("session")
                if morsel is not None:
                    self.cookie = morsel.value
            return Answer(response.status, response.headers.get("Location", ""),
                          response.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def post(self, path: str, form: dict) -> Answer:
        """Post a form, as a browser does."""
        return self.request("POST", path, urlencode(form).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def twin(self) -> "Browser":
        """Another tab of the same browser: the same session, sending on its own."""
        return Browser(self.port, self.cookie)
