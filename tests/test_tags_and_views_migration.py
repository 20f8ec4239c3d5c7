"""Migration 0019 (tags, saved views, the Lapsed view and its setting, four new trail actions) on a shop that has
data: a demo shop at revision 0018 upgrades with every customer, order, count and event as it was, starts with the
Lapsed view, takes tags on customers and the new actions, and goes back down to 0018 intact."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot

NEW_TABLES = {"tag", "customer_tag", "saved_view"}


@pytest.fixture
def demo_at_0018(database_url, tmp_path):
    """An app on a database of its own at revision 0018, filled with `flask demo --customers 200`."""
    with own_database(database_url, tmp_path, "demo0018", revision="0018") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "6"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _tables() -> set[str]:
    return set(db.inspect(db.engine).get_table_names())


def _events() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text("SELECT id, action, customer_id FROM audit_event ORDER BY id"))]


def _tag_two_customers() -> list[int]:
    """A tag on two customers, written as the tag service writes them; the two customers' ids."""
    db.session.execute(text("INSERT INTO tag (name, name_key, customers, created_at) "
                            "VALUES ('Wholesale', 'wholesale', 2, CURRENT_TIMESTAMP)"))
    ids = list(db.session.execute(text("SELECT id FROM customer ORDER BY id LIMIT 2")).scalars())
    for customer_id in ids:
        db.session.execute(text("INSERT INTO customer_tag (customer_id, tag_id) SELECT :c, id FROM tag"),
                           {"c": customer_id})
    return ids


def test_upgrade_keeps_the_shop_starts_the_lapsed_view_and_takes_tags(demo_at_0018):
    with demo_at_0018.app_context():
        before, events = _snapshot(), _events()
        assert not NEW_TABLES & _tables()
        _migrate()
        assert _snapshot() == before and _events() == events
        _assert_sound()
        assert NEW_TABLES <= _tables()
        views = db.session.execute(text("SELECT name, position, builtin FROM saved_view")).all()
        assert [tuple(view) for view in views] == [("Lapsed", 0, "lapsed")]
        assert db.session.execute(text("SELECT lapsed_days FROM shop_settings")).scalars().all() == [180]
        ids = _tag_two_customers()
        for action in ("tag", "bulk", "tags", "view"):
            db.session.execute(text("INSERT INTO audit_event (occurred_at, actor, action, customer_id, subject) "
                                    "VALUES (CURRENT_TIMESTAMP, 'owner@shop.test', :action, :c, '')"),
                               {"action": action, "c": ids[0]})
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM customer_tag")).scalar() == 2
        # The same name in other letters is the same tag.
        with pytest.raises(IntegrityError):
            db.session.execute(text("INSERT INTO tag (name, name_key, created_at) "
                                    "VALUES ('WHOLESALE', 'wholesale', CURRENT_TIMESTAMP)"))
        db.session.rollback()
        # A deleted customer's tags go with them.
        db.session.execute(text("DELETE FROM customer_tag WHERE customer_id = :c"), {"c": ids[1]})
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM customer_tag")).scalar() == 1


def test_downgrade_drops_what_was_added_and_keeps_the_rest(demo_at_0018):
    with demo_at_0018.app_context():
        before, events = _snapshot(), _events()
        _migrate()
        ids = _tag_two_customers()
        for action in ("tag", "bulk", "view"):
            db.session.execute(text("INSERT INTO audit_event (occurred_at, actor, action, customer_id, subject) "
                                    "VALUES (CURRENT_TIMESTAMP, 'owner@shop.test', :action, :c, '')"),
                               {"action": action, "c": ids[0]})
        db.session.commit()
        _migrate("0018", down=True)
        assert not NEW_TABLES & _tables()
        assert "lapsed_days" not in {c["name"] for c in db.inspect(db.engine).get_columns("shop_settings")}
        # The customer's tag event reads as an edit; the events 0018 has no place for are gone.
        assert _events() == [*events, (events[-1][0] + 1 if events else 1, "edit", ids[0])]
        assert _snapshot() == before
        _assert_sound()
