"""Migration 0015 (the team) on a shop that has data: a demo shop at revision 0014 with its owner, a staff
account, notes and trail entries by both, upgrades with every row as it was; the owner keeps every permission and
the staff account gets the Staff preset; nothing that points at a user loses it; and it goes back down to 0014."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db
from crm.services import permissions

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot

USERS = 'SELECT id, email, password_hash, role, session_token, created_at FROM "user" ORDER BY id'
POINTERS = ("SELECT id, user_id, actor FROM audit_event ORDER BY id", "SELECT id, author_id FROM note ORDER BY id")


@pytest.fixture
def demo_at_0014(database_url, tmp_path):
    """An app on a database of its own at revision 0014: `flask demo --customers 100`, an owner and a staff
    account, a note by each and a trail entry by each."""
    with own_database(database_url, tmp_path, "demo0014", revision="0014") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "100", "--seed", "5"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            for number, (email, role) in enumerate((("owner@shop.test", "owner"), ("sam@shop.test", "staff"))):
                db.session.execute(text(
                    'INSERT INTO "user" (email, password_hash, role, session_token, created_at) '
                    "VALUES (:email, 'scrypt:x', :role, :token, CURRENT_TIMESTAMP)"),
                    {"email": email, "role": role, "token": f"{number:064d}"})
                user_id = db.session.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": email}).scalar()
                customer_id = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
                db.session.execute(text(
                    "INSERT INTO note (customer_id, author_id, body, created_at, updated_at) "
                    "VALUES (:c, :u, 'Likes red', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"c": customer_id, "u": user_id})
                db.session.execute(text(
                    "INSERT INTO audit_event (occurred_at, user_id, actor, action, subject) "
                    "VALUES (CURRENT_TIMESTAMP, :u, :e, 'sign-in', '')"), {"u": user_id, "e": email})
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _rows(sql: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text(sql))]


def _kept() -> dict:
    return {"shop": _snapshot(), "users": _rows(USERS), **{sql: _rows(sql) for sql in POINTERS}}


def test_upgrade_keeps_every_account_and_what_it_could_do(demo_at_0014):
    with demo_at_0014.app_context():
        before = _kept()
        _migrate()
        assert _kept() == before
        _assert_sound()
        granted = dict(_rows('SELECT email, permissions FROM "user"'))
        assert set(granted["owner@shop.test"].split()) == permissions.ALL
        assert set(granted["sam@shop.test"].split()) == permissions.PRESETS["staff"]
        assert _rows('SELECT name, deactivated_at, last_sign_in_at FROM "user"') == [("", None, None)] * 2
        db.session.execute(text("""UPDATE "user" SET role = 'read_only' WHERE email = 'sam@shop.test'"""))
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text("""UPDATE "user" SET role = 'admin' WHERE email = 'sam@shop.test'"""))
        db.session.rollback()
        assert _rows("SELECT count(*) FROM invitation") == [(0,)]


def test_downgrade_makes_the_new_roles_staff_and_keeps_the_rest(demo_at_0014):
    with demo_at_0014.app_context():
        before = _kept()
        _migrate()
        db.session.execute(text("""UPDATE "user" SET role = 'manager', name = 'Sam' WHERE email = 'sam@shop.test'"""))
        db.session.commit()
        _migrate("0014", down=True)
        assert _kept() == before
        _assert_sound()
        with pytest.raises(IntegrityError):
            db.session.execute(text("""UPDATE "user" SET role = 'manager'"""))
        db.session.rollback()
        _migrate()
