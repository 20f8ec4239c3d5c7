"""Migration 0016 (account security) on a shop that has data: a demo shop at 0015 with an owner and a sign-in
upgrades with every row as it was (sign-ins last seen when they started, accounts without a name or two-step),
and goes back down to 0015 intact."""

import pytest
from sqlalchemy import inspect, text

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _snapshot


@pytest.fixture
def demo_at_0015(database_url, tmp_path):
    """An app on a database of its own at revision 0015, with demo customers, an owner, a note and a sign-in (the
    demo is made with today's models, then the database goes down to 0015 before the rows of accounts go in)."""
    with own_database(database_url, tmp_path, "demo0015") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "60", "--seed", "5"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            _migrate("0015", down=True)
            db.session.execute(text("INSERT INTO \"user\" (email, password_hash, role, session_token, created_at) "
                                    "VALUES ('owner@shop.test', 'x', 'owner', 'tok', CURRENT_TIMESTAMP)"))
            db.session.execute(text("INSERT INTO user_session (user_id, key_hash, created_at, expires_at, ip_address, "
                                    "user_agent) SELECT id, 'k', '2026-11-01 10:00:00', '2026-12-01 10:00:00', "
                                    "'192.0.2.1', 'Firefox' FROM \"user\""))
            db.session.execute(text("INSERT INTO note (customer_id, author_id, body, created_at, updated_at) "
                                    "SELECT MIN(c.id), MIN(u.id), 'Likes red', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
                                    "FROM customer c, \"user\" u"))
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _accounts():
    return (db.session.execute(text('SELECT id, email, password_hash, role FROM "user" ORDER BY id')).all(),
            db.session.execute(text("SELECT id, user_id, key_hash, ip_address FROM user_session ORDER BY id")).all(),
            db.session.execute(text("SELECT id, author_id, body FROM note ORDER BY id")).all())


def test_upgrade_keeps_the_shop_and_its_accounts(demo_at_0015):
    with demo_at_0015.app_context():
        before, accounts = _snapshot(), _accounts()
        _migrate()
        assert _snapshot() == before and _accounts() == accounts
        _assert_sound()
        user = db.session.execute(text('SELECT name, deactivated_at, totp_secret, two_step_since FROM "user"')).one()
        assert tuple(user) == ("", None, None, None)
        seen = db.session.execute(text("SELECT created_at, last_seen_at FROM user_session")).one()
        assert seen.last_seen_at == seen.created_at
        assert db.session.execute(text("SELECT require_two_step FROM shop_settings")).scalar() in (False, 0)
        assert "recovery_code" in inspect(db.engine).get_table_names()


def test_downgrade_to_0015_keeps_everything_else(demo_at_0015):
    with demo_at_0015.app_context():
        before, accounts = _snapshot(), _accounts()
        _migrate()
        db.session.execute(text("UPDATE \"user\" SET name = 'Kim', totp_secret = 'ABC'"))
        db.session.commit()
        _migrate("0015", down=True)
        assert _snapshot() == before and _accounts() == accounts
        assert "recovery_code" not in inspect(db.engine).get_table_names()
        assert "totp_secret" not in {c["name"] for c in inspect(db.engine).get_columns("user")}
        _migrate()
