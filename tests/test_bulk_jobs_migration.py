"""Migration 0021 (bulk_job, the queued bulk actions) on a shop that has data: a demo shop at revision 0020
upgrades with every customer, order, count and event as it was, takes a bulk job, and goes back down intact."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot


@pytest.fixture
def demo_before_0021(database_url, tmp_path):
    """An app on a database of its own at revision 0020, filled with `flask demo --customers 150`."""
    with own_database(database_url, tmp_path, "demo0020", revision="0020") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "150", "--seed", "7"])
        assert result.exit_code == 0 and "Created 150 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _tables() -> set[str]:
    return set(db.inspect(db.engine).get_table_names())


def _queue_a_job(action: str = "delete", status: str = "queued") -> None:
    db.session.execute(text("INSERT INTO bulk_job (action, selection, total, status, changed, skipped, created_at) "
                            "VALUES (:action, '{}', 2000, :status, 0, 0, CURRENT_TIMESTAMP)"),
                       {"action": action, "status": status})


def test_upgrade_keeps_the_shop_and_takes_bulk_jobs(demo_before_0021):
    with demo_before_0021.app_context():
        before = _snapshot()
        assert "bulk_job" not in _tables()
        _migrate()
        assert _snapshot() == before
        _assert_sound()
        _queue_a_job()
        db.session.commit()
        assert db.session.execute(text("SELECT action, status FROM bulk_job")).all() == [("delete", "queued")]
        for action, status in (("rename", "queued"), ("delete", "lost")):
            with pytest.raises(IntegrityError):
                _queue_a_job(action, status)
            db.session.rollback()


def test_downgrade_drops_the_table_and_keeps_the_rest(demo_before_0021):
    with demo_before_0021.app_context():
        before = _snapshot()
        _migrate()
        _queue_a_job()
        db.session.commit()
        _migrate("0020", down=True)
        assert "bulk_job" not in _tables()
        assert _snapshot() == before
        _assert_sound()
