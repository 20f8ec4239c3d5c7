"""Migration 0011 on a shop that has data: a demo shop at revision 0010 upgrades with every customer, order,
count and search result as it was, its triggers keep counting, and it goes back down to 0010 intact."""

import flask_migrate
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db
from crm.models import Address, Customer, Order
from crm.services import erasure, insights, orders, stats
from crm.services.customers import ListQuery, Location, customer_page
from crm.services.shop import get_settings

from .conftest import app_config
from .live_server import own_database

SEGMENTS_0010 = ("vip", "returning", "new", "prospect")
# Triggers later revisions add (0022: tag and membership rows keep their customer's segment), beside those this
# revision keeps or replaces.
LATER_TRIGGERS = {"customer_tag_segment_insert", "membership_segment_insert", "customer_segment_sets"}
KEPT = {  # what migration 0011 must leave as it was
    "customers": "SELECT id, first_name, last_name, email, phone, source, order_count, total_spent, first_order_at, "
                 "last_order_at, segment, search_text, name_key FROM customer ORDER BY id",
    "addresses": "SELECT id, customer_id, street, city, state, postcode, country FROM address ORDER BY id",
    "orders": 'SELECT id, order_number, customer_id, placed_at, status, total FROM "order" ORDER BY id',
    "items": "SELECT id, order_id, name, quantity, unit_price FROM order_item ORDER BY id",
    "segment counts": "SELECT segment, customers FROM segment_count ORDER BY segment",
}


@pytest.fixture
def demo_at_0010(database_url, tmp_path):
    """An app on a database of its own at revision 0010, filled with `flask demo --customers 300`."""
    with own_database(database_url, tmp_path, "demo0010", revision="0010") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "300", "--seed", "1"])
        assert result.exit_code == 0 and "Created 300 customers" in result.output, result.output
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _rows(sql: str) -> list[tuple]:
    """All rows of a query, as plain tuples."""
    return [tuple(row) for row in db.session.execute(text(sql))]


def _place_counts() -> set[tuple]:
    """location_count in either shape as (level, country, state, city, segment or "", customers), plus the
    spend of each place; rows of nobody left out."""
    columns = set(db.session.execute(text("SELECT * FROM location_count LIMIT 1")).keys())
    out = set()
    if "segment" in columns:
        for level, country, state, city, segment, customers, spent in _rows(
                "SELECT level, country, state, city, segment, customers, spent FROM location_count"):
            out |= {(level, country, state, city, segment, customers)} if customers else set()
            out |= {(level, country, state, city, "spent", spent)} if segment == "" and customers else set()
        return out
    picked = ", ".join(f"{s}_customers" for s in SEGMENTS_0010)
    for level, country, state, city, customers, spent, *per_segment in _rows(
            f"SELECT level, country, state, city, customers, spent, {picked} FROM location_count"):
        if customers:
            out |= {(level, country, state, city, "", customers), (level, country, state, city, "spent", spent)}
            out |= {(level, country, state, city, s, n) for s, n in zip(SEGMENTS_0010, per_segment) if n}
    return out


def _searches() -> dict[str, tuple]:
    """What a few searches find (ids on the first page and the tab counts): a surname, an email, a number."""
    first = db.session.execute(text("SELECT last_name, email, phone FROM customer WHERE phone IS NOT NULL "
                                    "AND email IS NOT NULL ORDER BY id LIMIT 1")).one()
    found = {}
    for q in (first.last_name, first.email.split("@")[0], first.phone[:6].replace("+61", "0"), "zz-nobody"):
        page = customer_page(ListQuery(q=q), "AU", 25)
        found[q] = ([c.id for c in page.customers], page.counts)
    return found


def _snapshot() -> dict:
    """Everything the upgrade must keep."""
    db.session.expire_all()
    return {**{name: _rows(sql) for name, sql in KEPT.items()}, "places": _place_counts(), "found": _searches()}


def _migrate(to: str = "head", down: bool = False) -> None:
    """Upgrade (or downgrade) once this session's transaction is over: PostgreSQL would make the migration
    wait for the locks of its reads."""
    db.session.remove()
    (flask_migrate.downgrade if down else flask_migrate.upgrade)(revision=to)


def _sqlite_schema() -> tuple[set, str]:
    """SQLite: the trigger names, and the customer table's definition."""
    triggers = set(db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return triggers, db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'customer'")).scalar()


def _assert_sound() -> None:
    """The database file is sound (SQLite) and no order lost its customer."""
    if db.session.get_bind().dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    assert db.session.execute(text('SELECT count(*) FROM "order" o LEFT JOIN customer c ON c.id = o.customer_id '
                                   "WHERE c.id IS NULL")).scalar() == 0


def _kept_places_equal_a_rebuild() -> None:
    """The kept counts per place (the new shape, spend per segment too) are what counting again gives."""
    def rows() -> list[tuple]:
        """Every row that counts somebody or some spend."""
        return sorted(row for row in _rows("SELECT level, country, state, city, segment, customers, spent "
                                           "FROM location_count") if row[5] or row[6])

    kept = rows()
    insights.rebuild_location_counts()
    db.session.flush()
    assert rows() == kept
    db.session.rollback()


def test_upgrade_keeps_the_demo_shop(demo_at_0010):
    with demo_at_0010.app_context():
        before = _snapshot()
        assert len(before["customers"]) == 300 and len(before["places"]) > 100
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        triggers = _sqlite_schema()[0] if sqlite else None
        _migrate()
        assert _snapshot() == before
        _assert_sound()
        _kept_places_equal_a_rebuild()
        au = customer_page(ListQuery(location=Location("AU")), "AU", 25).counts
        kept_au = {("all" if p[4] == "" else p[4]): p[5] for p in before["places"]
                   if p[:4] == ("country", "AU", "", "") and p[4] != "spent"}
        assert au == {"all": 0, **{s: 0 for s in SEGMENTS_0010}} | kept_au and au["all"] > 100
        if sqlite:
            after, table = _sqlite_schema()
            # the rest replaced under their names
            assert after == triggers | {"location_count_customer_spend"} | LATER_TRIGGERS
            assert "ck_customer_segment" not in table and "ck_customer_source" in table
        else:
            assert db.session.execute(text("SELECT count(*) FROM pg_constraint "
                                           "WHERE conname = 'ck_customer_segment'")).scalar() == 0


def _changes(anonymize: bool = True) -> None:
    """Orders, a move, an erasure and a deletion: each fires the new triggers. (Today's anonymize also clears
    what imports kept for an undo, a table older revisions don't have: `anonymize` False leaves it out.)"""
    customers = db.session.query(Customer).order_by(Customer.id).all()
    prospect = next(c for c in customers if c.segment == "prospect" and c.address)
    single = next(c for c in customers if c.segment == "new")
    orders.add_order(prospect, "MIG-1", single.first_order_at, 5_000)  # prospect -> new
    orders.add_order(single, "MIG-2", single.first_order_at, 2 * get_settings().vip_threshold)  # new -> vip
    steady = next(c for c in customers if c.segment == "returning" and c.address)
    orders.add_order(steady, "MIG-3", steady.first_order_at, 1)  # more spend, same segment
    moving = next(c for c in customers if c.address and c not in (prospect, single))
    moving.address.city, moving.address.state = "Hobart", "TAS"
    homeless = next(c for c in customers if c.address is None)
    homeless.address = Address(city="Fitzroy", state="VIC", country="AU")
    if anonymize:
        erasure.anonymize_customer(next(c for c in customers if c.address and c.order_count > 1), None)
    without_orders = db.session.query(Customer).filter(Customer.id.not_in(select(Order.customer_id)))
    db.session.delete(next(c for c in without_orders if c.address and c is not prospect))
    db.session.commit()


def test_upgraded_counts_follow_changes_and_take_a_new_segment(demo_at_0010):
    with demo_at_0010.app_context():
        _migrate()
        _changes()
        assert stats.recompute_segment_counts() == []
        _kept_places_equal_a_rebuild()
        # No CHECK: a segment the registry adds is stored and counted without a migration.
        customer_id = db.session.execute(text("SELECT customer_id FROM address ORDER BY id LIMIT 1")).scalar()
        db.session.execute(text("UPDATE customer SET segment = 'lapsed' WHERE id = :id"), {"id": customer_id})
        db.session.commit()
        assert _rows("SELECT customers FROM segment_count WHERE segment = 'lapsed'") == [(1,)]
        assert ("country", "AU", "", "", "lapsed", 1) in _place_counts()
        _kept_places_equal_a_rebuild()


def test_downgrade_to_0010_and_up_again(demo_at_0010):
    with demo_at_0010.app_context():
        before = _snapshot()
        triggers = _sqlite_schema() if db.session.get_bind().dialect.name == "sqlite" else None
        _migrate()
        _migrate("0010", down=True)
        assert _snapshot() == before
        _assert_sound()
        if triggers:
            assert _sqlite_schema() == triggers  # the same triggers and table definition as 0010 had
        with pytest.raises(IntegrityError):  # the CHECK is back
            db.session.execute(text("UPDATE customer SET segment = 'lapsed' WHERE id = 1"))
        db.session.rollback()
        _changes(anonymize=False)
        _migrate()
        assert stats.recompute_segment_counts() == []
        _kept_places_equal_a_rebuild()
