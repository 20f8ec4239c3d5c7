"""Migration 0013 (the trail's wider list of actions) on a shop that has data: a demo shop at revision 0012
upgrades with every customer, order, count and event as it was, takes the new actions, and goes back down to
0012 with undo and note events read as imports and edits and the account events removed."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot


@pytest.fixture
def demo_at_0012(database_url, tmp_path):
    """An app on a database of its own at revision 0012, filled with `flask demo --customers 200`."""
    with own_database(database_url, tmp_path, "demo0012", revision="0012") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "3"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _events() -> list[tuple]:
    return db.session.execute(text("SELECT id, action, customer_id, field, old_value, new_value FROM audit_event "
                                   "ORDER BY id")).all()


def _add_event(action: str) -> None:
    db.session.execute(text("INSERT INTO audit_event (occurred_at, actor, action, subject) "
                            "VALUES (CURRENT_TIMESTAMP, 'owner@shop.test', :action, '')"), {"action": action})


def test_upgrade_keeps_the_shop_and_takes_the_new_actions(demo_at_0012):
    with demo_at_0012.app_context():
        before, events = _snapshot(), _events()
        with pytest.raises(IntegrityError):
            _add_event("sign-in")
        db.session.rollback()
        _migrate()
        assert _snapshot() == before and _events() == events
        _assert_sound()
        for action in ("undo", "note", "sign-in", "settings"):
            _add_event(action)
        db.session.commit()
        with pytest.raises(IntegrityError):
            _add_event("sign-on")
        db.session.rollback()


def test_downgrade_reads_undo_and_notes_as_0012_actions_and_drops_account_events(demo_at_0012):
    with demo_at_0012.app_context():
        _migrate()
        events = _events()
        for action in ("undo", "note", "sign-in", "token"):
            _add_event(action)
        db.session.commit()
        _migrate("0012", down=True)
        after = _events()
        assert after[:len(events)] == events
        assert [row.action for row in after[len(events):]] == ["import", "edit"]
        with pytest.raises(IntegrityError):
            _add_event("undo")
        db.session.rollback()
        _migrate()
