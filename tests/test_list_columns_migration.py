"""Migration 0024 (user.list_columns) on a shop with accounts: at revision 0023 with the owner and a member, it
upgrades keeping every account as it was, each showing the default columns until they choose; going down
drops the choice and keeps the accounts."""

import pytest
from sqlalchemy import text

from crm import create_app
from crm.extensions import db
from crm.services import accounts

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _rows

ACCOUNTS = "SELECT id, email, name, role, permissions, password_hash FROM \"user\" ORDER BY id"


def accounts_at(database_url, tmp_path, revision: str):
    """An app on a database of its own at `revision`, with the owner and a staff member (a generator, for a
    fixture to yield from)."""
    with own_database(database_url, tmp_path, f"accounts{revision}", revision=revision) as url:
        app = create_app(app_config(url))
        with app.app_context():
            accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
            db.session.execute(text("INSERT INTO \"user\" (email, name, password_hash, role, permissions, "
                                    "created_at, session_token) VALUES ('sam@shop.test', "
                                    "'Sam', 'x', 'staff', 'view,edit', CURRENT_TIMESTAMP, 'a')"))
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def accounts_before_0024(database_url, tmp_path):
    """An app on a database of its own at revision 0023, with the owner and a staff member."""
    yield from accounts_at(database_url, tmp_path, "0023")


def test_upgrade_keeps_the_accounts_on_the_default_columns(accounts_before_0024):
    with accounts_before_0024.app_context():
        before = _rows(ACCOUNTS)
        _migrate()
        _assert_sound()
        assert _rows(ACCOUNTS) == before
        assert _rows('SELECT list_columns FROM "user"') == [(None,), (None,)]


def test_downgrade_drops_the_choice_and_keeps_the_accounts(accounts_before_0024):
    with accounts_before_0024.app_context():
        before = _rows(ACCOUNTS)
        _migrate()
        db.session.execute(text("UPDATE \"user\" SET list_columns = '[\"email\"]'"))
        db.session.commit()
        _migrate("0023", down=True)
        _assert_sound()
        assert _rows(ACCOUNTS) == before
