"""Migration 0020 (the filter panel's indexes) on a shop that has data: a demo shop at revision 0019 upgrades with
every row as it was, its filtered list then answers from the new index, and it goes back down to 0019 intact."""

import pytest
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from crm import create_app
from crm.extensions import db
from crm.models import Customer
from crm.services.customers import ListQuery, count_matching

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot

INDEXES = {("customer", "ix_customer_filters"), ("membership", "ix_membership_expires_on")}


@pytest.fixture
def demo_at_0019(database_url, tmp_path):
    """An app on a database of its own at revision 0019, filled with `flask demo --customers 200`."""
    with own_database(database_url, tmp_path, "demo0019", revision="0019") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "7"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _indexes() -> set[tuple[str, str]]:
    inspector = db.inspect(db.engine)
    return {(table, index["name"]) for table in ("customer", "membership") for index in inspector.get_indexes(table)}


def test_upgrade_keeps_the_shop_and_filters_read_the_new_index(demo_at_0019):
    with demo_at_0019.app_context():
        before = _snapshot()
        assert not INDEXES & _indexes()
        _migrate()
        assert INDEXES <= _indexes()
        assert _snapshot() == before
        _assert_sound()
        query = ListQuery.from_args(MultiDict({"spent_min": "100", "orders_min": "2", "marketing": "yes"}))
        expected = db.session.execute(text(
            "SELECT count(*) FROM customer WHERE total_spent >= 10000 AND order_count >= 2 AND email_marketing"
        )).scalar()
        assert count_matching(query, "AU") == expected > 0
        if db.session.get_bind().dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in db.session.execute(text(
                "EXPLAIN QUERY PLAN SELECT segment, count(*) FROM customer WHERE +total_spent >= 10000 "
                "AND email_marketing IS 1 AND source = 'order' GROUP BY segment")))
            assert "ix_customer_filters" in plan
        assert db.session.query(Customer).count() == 200


def test_downgrade_drops_the_indexes_and_keeps_the_rest(demo_at_0019):
    with demo_at_0019.app_context():
        before = _snapshot()
        _migrate()
        _migrate("0019", down=True)
        assert not INDEXES & _indexes()
        assert _snapshot() == before
        _assert_sound()
