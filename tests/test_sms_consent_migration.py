"""Migration 0015 (consent to text and WhatsApp marketing) on a shop that has data: a demo shop at revision
0013 upgrades with every customer, order, count and event as it was, each customer not subscribed and with no
consent record, keeps its email-marketing consents, takes the new consent, and goes back down to 0013."""

import pytest
from sqlalchemy import text

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import KEPT, _assert_sound, _migrate, _place_counts, _rows, _snapshot


@pytest.fixture
def demo_at_0013(database_url, tmp_path):
    """An app on a database of its own at revision 0013, filled with `flask demo --customers 200`.

    The demo writes with today's models, which have the new columns, so it fills the shop at the head and
    the shop then goes down to 0013, as a shop that never had them.
    """
    with own_database(database_url, tmp_path, "demo0013") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "5"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
        with app.app_context():
            app.extensions["shop at the head"] = _snapshot()
            _migrate("0013", down=True)
            assert not NEW_COLUMNS & _columns()
            db.session.remove()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


NEW_COLUMNS = {"sms_marketing", "sms_marketing_at", "sms_marketing_method"}


def _email_consents() -> list[tuple]:
    return db.session.execute(text("SELECT id, email_marketing, email_marketing_at, email_marketing_method "
                                   "FROM customer ORDER BY id")).all()


def _tables() -> dict:
    """What the upgrade must keep, read with SQL alone (today's models need the new columns)."""
    return {**{name: _rows(sql) for name, sql in KEPT.items()}, "places": _place_counts(),
            "email consents": _email_consents()}


def _columns() -> set[str]:
    return {c["name"] for c in db.inspect(db.engine).get_columns("customer")}


def test_upgrade_keeps_the_shop_and_nobody_has_the_new_consent_yet(demo_at_0013):
    with demo_at_0013.app_context():
        before = _tables()
        assert any(row.email_marketing for row in before["email consents"])
        _migrate()
        assert _tables() == before
        assert _snapshot() == demo_at_0013.extensions["shop at the head"]  # searches and counts too
        _assert_sound()
        rows = db.session.execute(text("SELECT sms_marketing, sms_marketing_at, sms_marketing_method "
                                       "FROM customer")).all()
        assert len(rows) == 200 and {tuple(r) for r in rows} == {(False, None, None)}
        db.session.execute(text("UPDATE customer SET sms_marketing = :yes, sms_marketing_at = CURRENT_TIMESTAMP, "
                                "sms_marketing_method = 'import' WHERE id = (SELECT min(id) FROM customer)"),
                           {"yes": True})
        db.session.execute(text("INSERT INTO customer (first_name, last_name, email_marketing, source, created_at, "
                                "updated_at, order_count, total_spent, segment, search_text, name_key) VALUES "
                                "('', '', :no, 'import', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0, 'prospect', "
                                "'', '')"), {"no": False})
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM customer WHERE sms_marketing = :yes"),
                                  {"yes": True}).scalar() == 1


def test_downgrade_drops_the_consent_and_keeps_the_rest(demo_at_0013):
    with demo_at_0013.app_context():
        _migrate()
        before = _tables()
        _migrate("0013", down=True)
        assert not NEW_COLUMNS & _columns()
        assert _tables() == before
        _assert_sound()
        _migrate()
        assert NEW_COLUMNS <= _columns()
