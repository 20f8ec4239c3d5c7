"""Migration 0012 (Recently deleted) on a shop that has data: a demo shop at revision 0011 upgrades with every
customer, order, count and search result as it was; deleting, restoring and purging keep the counts right;
it goes back down to 0011 intact once Recently deleted is empty."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db
from crm.models import Customer, DeletedCustomer, Order
from crm.services import audit, deleted, erasure, stats

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import (
    LATER_TRIGGERS,
    _assert_sound,
    _kept_places_equal_a_rebuild,
    _migrate,
    _snapshot,
)


@pytest.fixture
def demo_at_0011(database_url, tmp_path):
    """An app on a database of its own at revision 0011, filled with `flask demo --customers 300`."""
    with own_database(database_url, tmp_path, "demo0011", revision="0011") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "300", "--seed", "2"])
        assert result.exit_code == 0 and "Created 300 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _triggers() -> set[str]:
    """The names of the database's triggers (SQLite and PostgreSQL)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return set(db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return set(db.session.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())


def _counts_right() -> None:
    """The kept counts are what recompute-stats rebuilds."""
    assert stats.recompute_segment_counts() == []
    db.session.rollback()
    _kept_places_equal_a_rebuild()


def _with_address_and_no_orders() -> list[Customer]:
    """Demo customers who can be deleted and count in a place."""
    return db.session.scalars(select(Customer).where(Customer.id.not_in(select(Order.customer_id)))
                              .order_by(Customer.id)).all()


def test_upgrade_keeps_the_demo_shop_and_its_counts(demo_at_0011):
    with demo_at_0011.app_context():
        before = _snapshot()
        triggers = _triggers()
        assert len(before["customers"]) == 300
        _migrate()
        assert _snapshot() == before
        assert _triggers() == triggers | LATER_TRIGGERS  # the count triggers are the same ones
        _assert_sound()
        _counts_right()


def test_delete_restore_and_purge_keep_the_counts_after_the_upgrade(demo_at_0011):
    with demo_at_0011.app_context():
        _migrate()
        before = _snapshot()
        candidates = [c for c in _with_address_and_no_orders() if c.address is not None][:3]
        assert len(candidates) == 3
        entries = [erasure.delete_customer(c, None) for c in candidates]
        db.session.commit()
        _counts_right()
        assert _snapshot()["segment counts"] != before["segment counts"]
        deleted.restore(entries[0], None)
        deleted.restore(entries[1], None)
        db.session.commit()
        _counts_right()
        deleted.purge(entries[2].deleted_at + deleted.KEPT_FOR)
        db.session.commit()
        _counts_right()
        actions = db.session.scalars(select(audit.AuditEvent.action).where(
            audit.AuditEvent.action.in_(("delete", "restore", "purge")))).all()
        assert sorted(actions) == ["delete"] * 3 + ["purge"] + ["restore"] * 2


def test_downgrade_to_0011_once_recently_deleted_is_empty(demo_at_0011):
    with demo_at_0011.app_context():
        before = _snapshot()
        _migrate()
        first, second = _with_address_and_no_orders()[:2]
        first_id = first.id
        entry = erasure.delete_customer(first, None)
        db.session.commit()
        deleted.restore(entry, None)
        erasure.delete_customer(second, None)
        db.session.commit()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the revision's refusal ("1 customer(s) are in ...")
            _migrate("0011", down=True)
        db.session.rollback()
        assert db.session.scalar(select(DeletedCustomer.name)) == second.display_name  # nothing was undone
        result = demo_at_0011.test_cli_runner().invoke(args=["purge", "--all"])
        assert result.exit_code == 0, result.output
        _migrate("0011", down=True)
        after = _snapshot()
        assert after["orders"] == before["orders"] and after["items"] == before["items"]
        assert [row for row in before["customers"] if row[0] != second.id] == after["customers"]
        _assert_sound()
        _counts_right()
        # Restores read as creations and purges as deletions under 0011's list of actions, which is back.
        actions = db.session.execute(text("SELECT action FROM audit_event WHERE customer_id = :id ORDER BY id"),
                                     {"id": first_id}).scalars().all()
        assert actions[-2:] == ["delete", "create"]
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE audit_event SET action = 'restore' WHERE id = 1"))
        db.session.rollback()
        _migrate()
        _counts_right()
