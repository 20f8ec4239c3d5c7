"""Migration 0022 (each tag and membership row keeps its customer's segment) on a shop that has data: a demo
shop at revision 0021 with tags upgrades with everything as it was, every row given its customer's segment,
the triggers keeping it so afterwards; going down leaves the shop as it was before."""

from datetime import date

import pytest
from sqlalchemy import text

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .live_server import own_database
from .test_counts_migration import _assert_sound, _migrate, _rows, _snapshot

SET_ROWS = ("SELECT customer_id, tag_id FROM customer_tag ORDER BY 1, 2",
            "SELECT customer_id, membership_id, expires_on FROM membership ORDER BY 1")


@pytest.fixture
def demo_before_0022(database_url, tmp_path):
    """An app on a database of its own at revision 0021: `flask demo --customers 150`, two tags on a third and
    a fifth of the customers, and memberships for a quarter of them."""
    with own_database(database_url, tmp_path, "demo0021", revision="0021") as url:
        app = create_app(app_config(url))
        result = app.test_cli_runner().invoke(args=["demo", "--customers", "150", "--seed", "7"])
        assert result.exit_code == 0 and "Created 150 customers" in result.output, result.output
        with app.app_context():
            for number, (name, every) in enumerate((("Wholesale", 3), ("Gift", 5)), start=1):
                db.session.execute(text("INSERT INTO tag (id, name, name_key, customers, created_at) "
                                        "VALUES (:id, :name, :key, 0, CURRENT_TIMESTAMP)"),
                                   {"id": number, "name": name, "key": name.casefold()})
                db.session.execute(text("INSERT INTO customer_tag (customer_id, tag_id) "
                                        "SELECT id, :tag FROM customer WHERE id % :every = 0"),
                                   {"tag": number, "every": every})
            db.session.execute(text("INSERT INTO membership (customer_id, membership_id, expires_on) "
                                    "SELECT id, 'M' || id, CASE WHEN id % 8 = 0 THEN NULL ELSE :day END "
                                    "FROM customer WHERE id % 4 = 0"), {"day": date(2027, 1, 31)})
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _out_of_step() -> list[tuple]:
    """Tag and membership rows whose segment is not their customer's."""
    return _rows("SELECT 'tag', t.customer_id FROM customer_tag t JOIN customer c ON c.id = t.customer_id "
                 "WHERE t.segment <> c.segment UNION ALL "
                 "SELECT 'membership', m.customer_id FROM membership m JOIN customer c ON c.id = m.customer_id "
                 "WHERE m.segment <> c.segment")


def test_upgrade_gives_every_row_its_customers_segment_and_keeps_it(demo_before_0022):
    with demo_before_0022.app_context():
        before, sets = _snapshot(), [_rows(sql) for sql in SET_ROWS]
        assert sets[0] and sets[1], "the demo shop has tags and memberships"
        _migrate()
        assert _snapshot() == before and [_rows(sql) for sql in SET_ROWS] == sets
        _assert_sound()
        assert _out_of_step() == []
        assert _rows("SELECT count(*) FROM customer_tag WHERE segment = ''") == [(0,)]
        # a row put in without a segment takes its customer's; a customer moving segment takes its rows along
        member = _rows("SELECT customer_id FROM membership ORDER BY customer_id LIMIT 1")[0][0]
        db.session.execute(text("INSERT INTO customer_tag (customer_id, tag_id) VALUES (:c, 2) "
                                "ON CONFLICT DO NOTHING"), {"c": member})
        db.session.execute(text("UPDATE customer SET segment = CASE WHEN segment = 'vip' THEN 'new' ELSE 'vip' END "
                                "WHERE id = :c"), {"c": member})
        assert _out_of_step() == []
        db.session.rollback()


def test_downgrade_leaves_the_shop_as_it_was(demo_before_0022):
    with demo_before_0022.app_context():
        before, sets = _snapshot(), [_rows(sql) for sql in SET_ROWS]
        _migrate()
        _migrate("0021", down=True)
        assert _snapshot() == before and [_rows(sql) for sql in SET_ROWS] == sets
        _assert_sound()
        columns = {row[1] for row in _rows("SELECT * FROM pragma_table_info('customer_tag')")} \
            if db.session.get_bind().dialect.name == "sqlite" else \
            {row[0] for row in _rows("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = 'customer_tag'")}
        assert columns == {"customer_id", "tag_id"}
        # with the triggers gone, a customer changes segment without touching another table
        db.session.execute(text("UPDATE customer SET segment = 'vip' WHERE id = 3"))
        db.session.commit()
        _migrate()
        assert _out_of_step() == []
