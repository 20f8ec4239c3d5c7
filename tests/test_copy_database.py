"""`flask --app crm copy-database --to URL`: a demo shop copied SQLite to SQLite, and SQLite to PostgreSQL (in
the suite's PostgreSQL run), comes out equal: every table's rows, the counts, the searches; and new rows on
the copy get new ids. Targets that have data, or can't be reached, are refused and nothing changes.
"""

import subprocess
import sys
import uuid

import flask_migrate
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from crm import create_app
from crm.extensions import db
from crm.models import Customer
from crm.services import accounts, copying

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config, make_customer
from .html import page


def shop_on(url, tmp_path, migrate=True):
    """An app on `url` (migrated to the newest revision unless told not to)."""
    shop = create_app(app_config(url, BACKUP_DIR=str(tmp_path / "backups")))
    if migrate:
        with shop.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
    return shop


def closed(shop, work):
    """Run work() in the shop's app context and let go of its connections afterwards."""
    with shop.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    """A SQLite demo shop (80 customers with orders), an owner, a deleted customer and a note: copied, never
    changed, by every test of the module."""
    folder = tmp_path_factory.mktemp("source")
    url = f"sqlite:///{folder / 'shop.sqlite'}"
    shop = shop_on(url, folder)
    result = shop.test_cli_runner().invoke(args=["demo", "--customers", "80", "--seed", "7"])
    assert result.exit_code == 0, result.output

    def extras():
        accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
        make_customer("Zelda", "Quill", email="zelda@example.test")
        db.session.commit()

    closed(shop, extras)
    client = logged_in(shop)
    zelda = closed(shop, lambda: db.session.scalar(select(Customer.id).where(Customer.first_name == "Zelda")))
    assert client.post(f"/customers/{zelda}/notes", data={"body": "Prefers email"}).status_code in (302, 303)
    assert client.post(f"/customers/{zelda}/delete").status_code in (302, 303)
    return url, folder


def snapshot(url) -> dict[str, list[tuple]]:
    """Every table's rows, in key order, read through the models' columns (so types compare alike)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in copying.tables()}
    finally:
        engine.dispose()


def logged_in(shop):
    """A client of the shop logged in as the owner."""
    client = shop.test_client()
    assert client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 302
    return client


def what_the_owner_sees(shop) -> dict[str, str]:
    """The text of the customer list (tabs with their counts, rows) for a few tabs, sorts and searches, of
    Recently deleted and of Insights."""
    client = logged_in(shop)
    paths = ["/customers", "/customers?segment=vip", "/customers?q=an", "/customers?q=4",
             "/customers?sort=last_order&dir=desc", "/customers?page=2", "/customers/deleted", "/insights"]
    return {path: page(client.get(path)).text for path in paths}


def copy(source_url, folder, target_url, *args):
    """Run copy-database from the source shop; return the CLI result."""
    return shop_on(source_url, folder, migrate=False).test_cli_runner().invoke(
        args=["copy-database", "--to", target_url, *args])


def assert_equal_copy(source_url, folder, target_url, tmp_path):
    """The copy holds the same rows as the source, shows the owner the same pages, and gives new ids."""
    assert snapshot(target_url) == snapshot(source_url)
    source, copied = shop_on(source_url, folder, migrate=False), shop_on(target_url, tmp_path, migrate=False)
    seen = what_the_owner_sees(source)
    assert "Zelda Quill" in seen["/customers/deleted"] and "Page 2" in seen["/customers?page=2"]
    assert what_the_owner_sees(copied) == seen
    highest = closed(copied, lambda: db.session.scalar(select(func.max(Customer.id))))
    response = logged_in(copied).post("/customers/new", data={
        "first_name": "Newton", "last_name": "Fresh", "email": "newton@example.test", "country": "AU"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/customers/{highest + 1}"


def test_sqlite_to_sqlite_copies_every_table_and_the_copy_works(demo_source, tmp_path):
    source_url, folder = demo_source
    target_url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    result = copy(source_url, folder, target_url, "--batch-size", "7")
    assert result.exit_code == 0, result.output
    assert "customer: 80\n" in result.output and "deleted_customer: 1\n" in result.output
    assert result.output.rstrip().endswith(f"to {target_url}; every table's count matches.")
    assert_equal_copy(source_url, folder, target_url, tmp_path)


@pytest.fixture
def postgresql_target(database_url):
    """A new, empty database in the suite's PostgreSQL cluster (the PostgreSQL run only)."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("copying into PostgreSQL runs in the suite's PostgreSQL run (pytest --database postgresql)")
    name = f"crm_copy_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_sqlite_to_postgresql_copies_every_table_and_moves_the_sequences(demo_source, postgresql_target,
                                                                         tmp_path):
    source_url, folder = demo_source
    plain = postgresql_target.replace("postgresql+psycopg://", "postgresql://")  # as a host hands it out
    result = copy(source_url, folder, plain)
    assert result.exit_code == 0, result.output
    assert "order_item: " in result.output and "every table's count matches" in result.output
    assert_equal_copy(source_url, folder, postgresql_target, tmp_path)


def test_a_target_with_data_is_refused_and_left_alone(demo_source, tmp_path):
    source_url, folder = demo_source
    target_url = f"sqlite:///{tmp_path / 'used.sqlite'}"
    used = shop_on(target_url, tmp_path)

    def one_customer():
        make_customer("Already", "There")
        db.session.commit()

    closed(used, one_customer)
    before = snapshot(target_url)
    result = copy(source_url, folder, target_url)
    assert result.exit_code == 1
    assert "Not copied: The target database already has data (customer: 1" in result.output
    assert "Copy only into an empty database." in result.output
    assert snapshot(target_url) == before


def test_counts_that_differ_roll_the_copy_back(demo_source, tmp_path, monkeypatch):
    source_url, folder = demo_source
    target_url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    monkeypatch.setattr(copying, "differences", lambda source, target: {"customer": (80, 79)})
    result = copy(source_url, folder, target_url)
    assert result.exit_code == 1
    assert "The copy's counts differ (customer 80 here, 79 there)" in result.output
    engine = create_engine(target_url)
    with engine.connect() as conn:
        assert copying.data_in(conn) == {}
    engine.dispose()


def test_the_same_database_and_an_unreachable_one_are_refused(demo_source, tmp_path):
    source_url, folder = demo_source
    result = copy(source_url, folder, source_url)
    assert result.exit_code == 2 and "The target is this database" in result.output
    result = copy(source_url, folder, f"sqlite:///{tmp_path / 'no-such-folder' / 'copy.sqlite'}")
    assert result.exit_code == 1 and "Could not prepare the target database" in result.output


def test_a_source_behind_the_newest_migration_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_app(app_config(url))
    with old.app_context():
        flask_migrate.upgrade(revision="0012")
        db.engine.dispose()
    result = old.test_cli_runner().invoke(args=["copy-database", "--to", f"sqlite:///{tmp_path / 'copy.sqlite'}"])
    assert result.exit_code == 1 and "This database is at migration 0012" in result.output
    assert "run `flask --app crm db upgrade` first" in result.output


def test_a_source_in_use_by_another_process_is_refused_unless_forced(demo_source, tmp_path):
    source_url, folder = demo_source
    path = make_url(source_url).database
    script = (f"import sqlite3, sys; c = sqlite3.connect({path!r}); c.execute('SELECT count(*) FROM customer')"
              ".fetchall(); print('ready', flush=True); sys.stdin.read()")
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        target_url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
        result = copy(source_url, folder, target_url)
        assert result.exit_code == 1 and "Not copied: another process" in result.output
        assert "Stop the server and the worker first, or use --force." in result.output
        assert not (tmp_path / "copy.sqlite").exists()
        result = copy(source_url, folder, target_url, "--force")
        assert result.exit_code == 0, result.output
    finally:
        process.stdin.close()
        process.wait(timeout=10)
