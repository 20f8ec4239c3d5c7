"""Migration 0018 (what an import did, so it can be undone) on a shop that has data: a demo shop at revision 0017
with imports behind it upgrades with every customer, order, count, event and import as it was (the old imports
can't be undone: they kept nothing), takes import_change rows, and goes back down to 0017 intact."""

import pytest
from sqlalchemy import text

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot

IMPORT_JOB_0017 = ("id, token, user_id, actor, filename, status, total_rows, created, updated, skipped, invalid, "
                   "error, started_at, finished_at")


@pytest.fixture
def demo_at_0017(database_url, tmp_path):
    """An app on a database of its own at revision 0017, filled with `flask demo --customers 200` and two imports."""
    with own_database(database_url, tmp_path, "demo0017", revision="0017") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "5"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        with app.app_context():
            for status, error in (("done", None), ("failed", "Nothing was imported: the database was busy.")):
                db.session.execute(text(
                    "INSERT INTO import_job (token, actor, filename, status, total_rows, created, updated, skipped, "
                    "invalid, error, started_at, finished_at) VALUES (:token, 'owner@shop.test', 'old.csv', :status, "
                    "3, 2, 1, 0, 0, :error, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"token": "t" * 43, "status": status, "error": error})
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _jobs() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text(f"SELECT {IMPORT_JOB_0017} FROM import_job ORDER BY id"))]


def _tables() -> set[str]:
    return set(db.inspect(db.engine).get_table_names())


def test_upgrade_keeps_the_shop_and_its_imports_which_cant_be_undone(demo_at_0017):
    with demo_at_0017.app_context():
        before, jobs = _snapshot(), _jobs()
        assert "import_change" not in _tables()
        _migrate()
        assert _snapshot() == before and _jobs() == jobs
        _assert_sound()
        rows = db.session.execute(text("SELECT changes_kept, undone_at, undone_by, undo_result FROM import_job "
                                       "ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(False, None, None, None)] * 2
        customer_id = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
        job_id = jobs[0][0]
        db.session.execute(text("INSERT INTO import_change (job_id, customer_id, field, old_value, new_value) "
                                "VALUES (:job, :customer, 'first_name', 'Old', 'New'), (:job, :customer, NULL, "
                                "NULL, NULL)"), {"job": job_id, "customer": customer_id})
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM import_change")).scalar() == 2


def test_downgrade_drops_what_was_added_and_keeps_the_rest(demo_at_0017):
    with demo_at_0017.app_context():
        before, jobs = _snapshot(), _jobs()
        _migrate()
        db.session.execute(text("UPDATE import_job SET changes_kept = :yes, undo_result = '{}'"), {"yes": True})
        db.session.execute(text("INSERT INTO import_change (job_id, customer_id) SELECT :job, min(id) FROM customer"),
                           {"job": jobs[0][0]})
        db.session.commit()
        _migrate("0017", down=True)
        assert "import_change" not in _tables()
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("import_job")}
        assert columns == {c.strip() for c in IMPORT_JOB_0017.split(",")}
        assert _snapshot() == before and _jobs() == jobs
        _assert_sound()
        _migrate()
