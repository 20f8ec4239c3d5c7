"""Migration 0017 (job_run and worker_beat) on a shop that has data: a demo shop at revision 0016 upgrades with
every customer, order, count and event as it was, records a job run and a heartbeat, and goes back down."""

import pytest
from sqlalchemy import inspect, text

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot


@pytest.fixture
def demo_at_0016(database_url, tmp_path):
    """An app on a database of its own at revision 0016, filled with `flask demo --customers 200`."""
    with own_database(database_url, tmp_path, "demo0016", revision="0016") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "5"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_upgrade_keeps_the_shop_and_records_runs_then_goes_back_down(demo_at_0016):
    app = demo_at_0016
    with app.app_context():
        before = _snapshot()
        _migrate()
        assert _snapshot() == before
        _assert_sound()
    assert app.test_cli_runner().invoke(args=["refresh-insights"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(text("SELECT name, outcome FROM job_run")).all() == [("insights", "ok")]
        db.session.execute(text("INSERT INTO worker_beat (worker, started_at, seen_at) "
                                "VALUES ('host:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.commit()
        _migrate("0016", down=True)
        tables = set(inspect(db.engine).get_table_names())
        assert "job_run" not in tables and "worker_beat" not in tables
        assert _snapshot() == before
