"""Backups: `flask backup` and `flask restore` on the suite's database engine, and Settings › Backups.

Restores run on a database of their own (a file, or a database created in the PostgreSQL test cluster), so
the suite's shared database is never replaced under the other tests.
"""

import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import flask_migrate
import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from crm import MIGRATIONS, create_app
from crm.extensions import db
from crm.models import Customer
from crm.services import backups
from crm.services.backups import files, postgresql

from .conftest import app_config, make_customer
from .live_server import Browser, gunicorn

NAME = r"crm-\d{8}T\d{6}Z\.(sqlite|dump)"
HEAD = ScriptDirectory(MIGRATIONS).get_current_head()


@pytest.fixture
def engine(database_url):
    """"sqlite" or "postgresql": the engine this run tests."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def suffix(engine):
    """The backup files' suffix on this engine."""
    return "sqlite" if engine == "sqlite" else "dump"


@pytest.fixture
def own_url(database_url, tmp_path, engine):
    """An empty database for this test alone: a new SQLite file, or a new database in the PostgreSQL cluster."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.sqlite'}"
        return
    name = f"crm_backup_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def shop_app(url, tmp_path, revision="head", **extra):
    """An app on `url` migrated to `revision`, with its backups in tmp_path/backups."""
    shop = create_app(app_config(url, BACKUP_DIR=str(tmp_path / "backups"), **extra))
    with shop.app_context():
        flask_migrate.upgrade(revision=revision)
        db.engine.dispose()
    return shop


@pytest.fixture
def shop(own_url, tmp_path):
    """An app on its own database at the newest migration."""
    shop = shop_app(own_url, tmp_path)
    yield shop
    with shop.app_context():
        db.session.remove()
        db.engine.dispose()


def names(shop) -> list[str]:
    """Every customer's first name, sorted."""
    with shop.app_context():
        found = sorted(db.session.scalars(select(Customer.first_name)))
        db.session.remove()
        db.engine.dispose()
        return found


def add_customer(shop, first_name):
    """A committed customer."""
    with shop.app_context():
        make_customer(first_name, email=f"{first_name.lower()}@example.com")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def backup(shop, *args):
    """Run `flask backup`; return the path it printed."""
    result = shop.test_cli_runner().invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def restore(shop, *args):
    """Run `flask restore ...`; return the result."""
    return shop.test_cli_runner().invoke(args=["restore", *map(str, args)])


def revision_of(shop) -> str:
    """The migration the app's database is at."""
    with shop.app_context(), db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    with shop.app_context():
        db.engine.dispose()
    return current


# ---- backup ----------------------------------------------------------------------------------------------


def test_backup_writes_a_checked_copy_named_with_the_time_and_prints_its_path(app, runner, tmp_path, suffix):
    with app.app_context():
        make_customer("Bea")
        db.session.commit()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path / "backups" and path.is_file()
    made = files.parse(path)
    assert made is not None and made.suffix == suffix
    assert before <= made.taken_at <= datetime.now(timezone.utc)
    assert "integrity checked" in result.stderr
    assert path.stat().st_mode & 0o077 == 0  # it holds every customer's details: the owner's alone
    with app.app_context():
        backups.sqlite.check(path) if suffix == "sqlite" else postgresql.check(path)
    if suffix == "sqlite":
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT first_name FROM customer").fetchall() == [("Bea",)]


def test_backup_keeps_the_newest_n_and_leaves_other_files_alone(app, tmp_path, suffix):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    old = [folder / f"crm-2026010{day}T030000Z.{suffix}" for day in range(1, 6)]
    other_kind = "dump" if suffix == "sqlite" else "sqlite"
    others = [folder / "notes.txt", folder / f"crm-latest.{suffix}", folder / f"crm-20250101T000000Z.{suffix}.bak",
              folder / f"crm-20250101T000000Z-before-restore.{suffix}", folder / f"crm-20250101T000000Z.{other_kind}",
              folder / f"Crm-20250101T000000Z.{suffix}"]
    for path in old + others:
        path.write_text("x")
    app.config["BACKUP_KEEP"] = 3
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(folder)])
    assert result.exit_code == 0, result.output
    made = Path(result.stdout.strip())
    assert made.parent == folder
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted([made.name, old[3].name, old[4].name] + [p.name for p in others])
    for path in old[:3]:
        assert f"Deleted the old backup {path}" in result.stderr
    assert not (tmp_path / "backups").exists()  # --to, not the default folder


def test_backup_keep_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_BACKUP_KEEP", "3")
    monkeypatch.setenv("CRM_BACKUP_DIR", str(tmp_path / "bk"))
    monkeypatch.setenv("CRM_SECRET_KEY", "x")
    configured = create_app()
    assert configured.config["BACKUP_KEEP"] == 3
    with configured.app_context():
        assert backups.keep() == 3 and backups.folder() == tmp_path / "bk"


def test_two_backups_in_one_second_get_two_names(app, runner):
    first, second = Path(runner.invoke(args=["backup"]).stdout.strip()), \
        Path(runner.invoke(args=["backup"]).stdout.strip())
    assert first != second and first.exists() and second.exists()
    assert files.parse(first).taken_at < files.parse(second).taken_at


def test_a_bad_keep_setting_is_a_clear_error(app, runner):
    app.config["BACKUP_KEEP"] = "lots"
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 1 and "CRM_BACKUP_KEEP must be a whole number" in result.output


# ---- restore ---------------------------------------------------------------------------------------------


def test_restore_brings_the_data_back_and_keeps_the_replaced_database_aside(shop, tmp_path, suffix):
    add_customer(shop, "Before")
    made = backup(shop)
    add_customer(shop, "After")
    assert names(shop) == ["After", "Before"]
    result = restore(shop, made)
    assert result.exit_code == 0, result.output
    assert names(shop) == ["Before"]
    assert "Upgraded it to this version's schema." in result.output
    aside = [p for p in (tmp_path / "backups").iterdir() if p.name.endswith(f"-before-restore.{suffix}")]
    assert len(aside) == 1 and f"Kept the database it replaced as {aside[0]}" in result.output
    assert files.parse(aside[0]) is None  # not of the backups' pattern: never pruned, never "the last backup"
    assert revision_of(shop) == HEAD
    # The copy kept aside is a backup like any other: restoring it brings "After" back.
    assert restore(shop, aside[0]).exit_code == 0
    assert names(shop) == ["After", "Before"]


def test_restore_of_an_older_version_upgrades_it_with_its_data(own_url, tmp_path):
    old = shop_app(own_url, tmp_path, revision="0001")
    with old.app_context():
        db.session.execute(text(
            "INSERT INTO customer (first_name, last_name, email, email_marketing, source, created_at, updated_at,"
            " order_count, total_spent, segment, search_text, name_key) VALUES ('Olga', 'Oldrow',"
            " 'olga@example.com', FALSE, 'manual', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0, 'prospect',"
            " 'olga oldrow olga@example.com', 'olga oldrow')"))
        db.session.commit()
        db.engine.dispose()
    made = backup(old)
    current = shop_app(own_url, tmp_path)  # the shop moves on to this version and gets a customer more
    add_customer(current, "Newer")
    result = restore(current, made)
    assert result.exit_code == 0, result.output
    assert "(migration 0001)" in result.output
    assert revision_of(current) == HEAD
    assert names(current) == ["Olga"]
    with current.app_context():
        from crm.services.customers import ListQuery, customer_page

        page = customer_page(ListQuery(q="oldrow"), "AU", 25)
        assert [c.full_name for c in page.customers] == ["Olga Oldrow"]
        counts = dict(db.session.execute(text("SELECT segment, customers FROM segment_count")).all())
        assert counts["prospect"] == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 50, b"SQLite format 3\x00" + b"\x00" * 200,
                                     b"PGDMP" + b"\x01" * 200])
def test_restore_refuses_a_bad_file_and_changes_nothing(shop, tmp_path, suffix, content):
    add_customer(shop, "Kept")
    bad = tmp_path / f"bad.{suffix}"
    bad.write_bytes(content)
    result = restore(shop, bad)
    assert result.exit_code == 1
    assert str(bad) in result.output and "Nothing was changed." in result.output
    assert names(shop) == ["Kept"]
    assert not (tmp_path / "backups").exists()  # no copy kept aside either: nothing was about to change


def test_restore_refuses_a_cut_off_backup(shop, tmp_path):
    add_customer(shop, "Kept")
    made = backup(shop)
    cut = tmp_path / f"cut{made.suffix}"
    cut.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    result = restore(shop, cut)
    assert result.exit_code == 1 and "Nothing was changed." in result.output
    assert names(shop) == ["Kept"]


def test_restore_refuses_a_missing_file_a_foreign_database_and_a_newer_version(shop, tmp_path, engine):
    missing = restore(shop, tmp_path / "nowhere.sqlite")
    assert missing.exit_code == 1 and "Can't read" in missing.output
    if engine == "sqlite":
        foreign = tmp_path / "other.sqlite"
        with sqlite3.connect(foreign) as conn:
            conn.execute("CREATE TABLE t (x)")
        result = restore(shop, foreign)
        assert result.exit_code == 1 and "not a crm one" in result.output
    newer = backup(shop)
    if engine == "sqlite":
        newer.chmod(0o600)
        with sqlite3.connect(newer) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
        result = restore(shop, newer)
        assert result.exit_code == 1 and "made by a newer version of crm (migration 9999_future)" in result.output


@pytest.fixture
def holder(shop, own_url, engine):
    """Another process with the shop's database open and idle, as a running server has it."""
    if engine == "sqlite":
        path = make_url(own_url).database
        script = (f"import sqlite3, sys; c = sqlite3.connect({path!r}); c.execute('PRAGMA journal_mode=WAL');"
                  " c.execute('SELECT count(*) FROM customer').fetchall(); print('ready', flush=True);"
                  " sys.stdin.read()")
        process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True)
        assert process.stdout.readline().strip() == "ready"
        yield process
        process.stdin.close()
        process.wait(timeout=10)
        return
    other = create_engine(own_url, isolation_level="AUTOCOMMIT")
    with other.connect() as conn:
        conn.execute(text("SELECT 1"))
        yield conn
    other.dispose()


def test_restore_refuses_while_another_process_holds_the_database_unless_forced(shop, tmp_path, holder):
    add_customer(shop, "Before")
    made = backup(shop)
    add_customer(shop, "After")
    refused = restore(shop, made)
    assert refused.exit_code == 1, refused.output
    assert "The database is in use" in refused.output and "--force" in refused.output
    assert "Nothing was changed." in refused.output
    assert names(shop) == ["After", "Before"]
    forced = restore(shop, made, "--force")
    assert forced.exit_code == 0, forced.output
    assert names(shop) == ["Before"]


def test_restore_refuses_while_a_real_server_runs_on_the_database(shop, own_url, tmp_path):
    made = backup(shop)
    with gunicorn(own_url, tmp_path, workers=1, threads=1) as server:
        assert Browser(server.port).request("GET", "/login").status == 302  # to /setup: it read the database
        refused = restore(shop, made)
        assert refused.exit_code == 1 and "The database is in use" in refused.output, refused.output
    assert restore(shop, made).exit_code == 0  # stopped: nothing holds it any more


def test_restore_goes_ahead_once_the_other_process_is_gone(shop, own_url, engine):
    if engine != "sqlite":
        pytest.skip("SQLite only: the lock probe of the -shm file")
    made = backup(shop)
    path = make_url(own_url).database
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({path!r}).execute('SELECT 1')"],
                   check=True)
    assert restore(shop, made).exit_code == 0


# ---- Settings › Backups ------------------------------------------------------------------------------------


def test_settings_says_there_are_no_backups_yet_with_the_command(logged_in, tmp_path):
    html = logged_in.get("/settings").get_data(as_text=True)
    assert '<h2 id="backups-heading">Backups</h2>' in html
    assert "No backups yet." in html and "<code>flask --app crm backup</code>" in html
    assert str(tmp_path / "backups") in html and "keeps the newest 14" in " ".join(html.split())


def test_settings_shows_the_newest_backup_its_time_size_and_place(logged_in, app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "crm-20261130T010203Z.sqlite").write_bytes(b"x" * 1000)
    (folder / "crm-20261201T093000Z.sqlite").write_bytes(b"x" * 2_500)
    (folder / "crm-20261202T000000Z-before-restore.sqlite").write_bytes(b"x")  # not a backup of the pattern
    (folder / "crm-20991231T000000Z.sqlite.partial").write_bytes(b"x")
    html = logged_in.get("/settings").get_data(as_text=True).replace("\u202f", " ")  # Babel's narrow space
    assert "No backups yet." not in html
    assert "<dt>Last backup</dt><dd>1 Dec 2026, 8:30:00 pm</dd>" in html  # 09:30 UTC in Sydney (AEDT)
    assert "<dt>Size</dt><dd>2.5 KB</dd>" in html
    assert f'<dd class="mono">{folder / "crm-20261201T093000Z.sqlite"}</dd>' in html


def test_settings_shows_a_backup_the_command_made(logged_in, runner):
    path = Path(runner.invoke(args=["backup"]).stdout.strip())
    html = logged_in.get("/settings").get_data(as_text=True)
    assert str(path) in html and "No backups yet." not in html


def test_the_backup_folder_name_pattern_and_pruning_unit():
    moment = datetime(2026, 12, 1, 23, 5, 1, tzinfo=timezone(timedelta(hours=10)))
    assert files.name_for(moment, "sqlite") == "crm-20261201T130501Z.sqlite"
    assert files.PATTERN.fullmatch("crm-20261201T130501Z.dump")
    assert not files.PATTERN.fullmatch("crm-20261201T130501Z-before-restore.dump")
