"""Migration 0023 (saved view names unique in the database) on a shop that has views: at revision 0022 with
the built-in Lapsed view and three more, two of them sharing a name in different case (as a race could
leave them), it upgrades keeping every view, renames the later twin "… (2)", and refuses a third twin;
going down drops the key (the twin keeps its new name)."""

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate


@pytest.fixture
def views_before_0023(database_url, tmp_path):
    """An app on a database of its own at revision 0022 with saved views."""
    with own_database(database_url, tmp_path, "views0022", revision="0022") as url:
        app = create_app(app_config(url))
        with app.app_context():
            for position, (name, args) in enumerate((("Big spenders", {"spent_min": "500"}),
                                                     ("NSW", {"country": "AU", "state": "NSW"}),
                                                     ("BIG SPENDERS", {"spent_min": "900"})), start=1):
                db.session.execute(text("INSERT INTO saved_view (name, position, args, created_at, updated_at) "
                                        "VALUES (:name, :position, :args, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                                   {"name": name, "position": position, "args": json.dumps(args)})
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _views() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text("SELECT id, name, position, args FROM saved_view ORDER BY id"))]


def test_upgrade_keeps_every_view_and_parts_the_twins(views_before_0023):
    with views_before_0023.app_context():
        before = _views()
        assert [name for _, name, _, _ in before] == ["Lapsed", "Big spenders", "NSW", "BIG SPENDERS"]
        _migrate()
        _assert_sound()
        after = _views()
        assert [name for _, name, _, _ in after] == ["Lapsed", "Big spenders", "NSW", "BIG SPENDERS (2)"]
        assert [(i, p, a) for i, _, p, a in after] == [(i, p, a) for i, _, p, a in before]
        assert db.session.execute(text("SELECT name_key FROM saved_view ORDER BY id")).scalars().all() == [
            "lapsed", "big spenders", "nsw", "big spenders (2)"]
        with pytest.raises(IntegrityError):
            db.session.execute(text("INSERT INTO saved_view (name, name_key, position, args, created_at, updated_at) "
                                    "VALUES ('nsw', 'nsw', 9, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.rollback()


def test_downgrade_drops_the_key(views_before_0023):
    with views_before_0023.app_context():
        _migrate()
        _migrate("0022", down=True)
        _assert_sound()
        assert [name for _, name, _, _ in _views()] == ["Lapsed", "Big spenders", "NSW", "BIG SPENDERS (2)"]
        db.session.execute(text("INSERT INTO saved_view (name, position, args, created_at, updated_at) "
                                "VALUES ('nsw', 9, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.commit()
