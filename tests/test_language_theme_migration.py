"""Migration 0025 (user.language, user.theme, shop_settings.language) on a shop with accounts: at revision 0024
with the owner and a member, it upgrades keeping every account and setting as it was, everyone on the shop's
default language (English) and the system's theme; going down drops the choices and keeps the rest."""

import pytest
from sqlalchemy import text

from crm.extensions import db

from .test_counts_migration import _assert_sound, _migrate, _rows
from .test_list_columns_migration import accounts_at

ACCOUNTS = "SELECT id, email, name, role, permissions, password_hash FROM \"user\" ORDER BY id"
SETTINGS = "SELECT shop_name, currency, country, timezone, vip_threshold FROM shop_settings"


@pytest.fixture
def accounts_before_0025(database_url, tmp_path):
    """An app on a database of its own at revision 0024, with the owner and a staff member."""
    yield from accounts_at(database_url, tmp_path, "0024")


def test_upgrade_keeps_the_accounts_in_english_on_the_system_theme(accounts_before_0025):
    with accounts_before_0025.app_context():
        before = _rows(ACCOUNTS), _rows(SETTINGS)
        _migrate()
        _assert_sound()
        assert (_rows(ACCOUNTS), _rows(SETTINGS)) == before
        assert _rows('SELECT language, theme FROM "user"') == [("", "system"), ("", "system")]
        assert _rows("SELECT language FROM shop_settings") == [("en",)]


def test_downgrade_drops_the_choices_and_keeps_the_rest(accounts_before_0025):
    with accounts_before_0025.app_context():
        before = _rows(ACCOUNTS), _rows(SETTINGS)
        _migrate()
        db.session.execute(text("UPDATE \"user\" SET language = 'ms', theme = 'dark'"))
        db.session.execute(text("UPDATE shop_settings SET language = 'ms'"))
        db.session.commit()
        _migrate("0024", down=True)
        _assert_sound()
        assert (_rows(ACCOUNTS), _rows(SETTINGS)) == before
