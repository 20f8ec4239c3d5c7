"""Migration 0014 (consent to text and WhatsApp marketing) on a shop that has data: a demo shop at revision
0013 upgrades with every customer, order, count and event as it was, each customer not subscribed and with no
consent record, keeps its email-marketing consents, takes the new consent, and goes back down to 0013."""

import pytest
from sqlalchemy import select, text

from crm import create_app
from crm.customers import writer
from crm.extensions import db
from crm.models import Customer

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import KEPT, _assert_sound, _migrate, _place_counts, _rows, _snapshot


@pytest.fixture
def demo_at_0013(database_url, tmp_path):
    """An app on a database of its own at revision 0013, filled with `flask demo --customers 200`."""
    with own_database(database_url, tmp_path, "demo0013", revision="0013") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "200", "--seed", "5"])
        assert result.exit_code == 0 and "Created 200 customers" in result.output, result.output
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
        assert not NEW_COLUMNS & _columns()
        before, tables = _snapshot(), _tables()
        assert any(row.email_marketing for row in tables["email consents"])
        _migrate()
        assert _snapshot() == before and _tables() == tables
        _assert_sound()
        rows = db.session.execute(text("SELECT sms_marketing, sms_marketing_at, sms_marketing_method "
                                       "FROM customer")).all()
        assert len(rows) == 200 and {tuple(r) for r in rows} == {(False, None, None)}
        # The writer records the new consent on an upgraded customer.
        customer = db.session.scalars(select(Customer).order_by(Customer.id)).first()
        writer.update(customer, {"sms_marketing": True}, actor=writer.Actor("System"), consent=writer.Consent("import"))
        db.session.commit()
        assert db.session.execute(text("SELECT sms_marketing_method FROM customer WHERE sms_marketing = :yes"),
                                  {"yes": True}).scalars().all() == ["import"]


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
