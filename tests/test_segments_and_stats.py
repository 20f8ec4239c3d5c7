"""Segments and the customer figures: one rule, kept right by every order change and by recompute-stats."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.models import Customer, Order, SegmentCount
from crm.services import orders, segments, stats
from crm.services.segments import Standing
from crm.services.shop import get_settings

from . import factories
from .factories import make_customer

T = 100_000  # the default VIP threshold: 1,000.00
SHOP = SimpleNamespace(vip_threshold=T)


@pytest.mark.parametrize(("count", "total", "expected"), [
    (0, 0, "prospect"),
    (1, 500, "new"),
    (2, 1_000, "returning"),
    (7, T - 1, "returning"),
    (1, T, "vip"),
    (1, T + 1, "vip"),
    (3, 10 * T, "vip"),
    (1, T - 1, "new"),
])
def test_segment_rule(count, total, expected):
    assert segments.segment_for(Standing(count, total), SHOP) == expected


def test_every_customer_is_in_exactly_one_segment():
    seen = {segments.segment_for(Standing(c, t), SHOP) for c in range(0, 4) for t in (0, 1, T - 1, T, 5 * T)}
    assert seen <= set(segments.keys())


def test_only_paid_orders_count(app):
    with app.app_context():
        c = make_customer(orders_spec=[(5_000, "paid"), (7_000, "refunded"), (9_000, "cancelled"), (2_000, "paid")])
        db.session.commit()
        assert (c.order_count, c.total_spent, c.segment) == (2, 7_000, "returning")
        assert c.first_order_at < c.last_order_at


def test_refund_moves_customer_back(app):
    with app.app_context():
        c = make_customer(orders_spec=[(60_000, "paid"), (50_000, "paid")])
        assert c.segment == "vip"
        order = db.session.scalars(select(Order).where(Order.customer_id == c.id).order_by(Order.id)).first()
        orders.set_status(order, "refunded")
        assert (c.order_count, c.total_spent, c.segment) == (1, 50_000, "new")
        orders.set_status(order, "paid")
        assert c.segment == "vip"
        for o in c.orders:
            orders.set_status(o, "cancelled")
        assert (c.order_count, c.total_spent, c.segment, c.last_order_at) == (0, 0, "prospect", None)


def test_add_order_rejects_unknown_status(app):
    with app.app_context():
        c = make_customer()
        with pytest.raises(ValueError):
            orders.add_order(c, "X1", datetime.now(timezone.utc), 100, "pending")


def test_threshold_change_moves_customers_at_once(app):
    with app.app_context():
        c = make_customer(orders_spec=[(40_000, "paid")])
        assert c.segment == "new"
        get_settings().vip_threshold = 30_000
        assert segments.reassign_all(get_settings()) == 1
        db.session.commit()
        db.session.refresh(c)
        assert c.segment == "vip"


def test_recompute_all_reports_and_fixes_wrong_figures(app, runner):
    with app.app_context():
        good = make_customer("Good", orders_spec=[(1_000, "paid")])
        bad = make_customer("Bad", orders_spec=[(2_000, "paid"), (3_000, "paid")])
        db.session.commit()
        db.session.execute(update(Customer).where(Customer.id == bad.id)
                           .values(order_count=9, total_spent=1, segment="vip"))
        db.session.commit()
        bad_id, good_id = bad.id, good.id
    result = runner.invoke(args=["recompute-stats"])
    assert result.exit_code == 0, result.output
    assert f"customer {bad_id}: order_count was 9, now 2" in result.output
    assert f"customer {bad_id}: total_spent was 1, now 5000" in result.output
    assert "Fixed 1 customer(s) with wrong figures and 0 segment count(s)" in result.output
    assert f"customer {good_id}" not in result.output
    with app.app_context():
        fixed = db.session.get(Customer, bad_id)
        assert (fixed.order_count, fixed.total_spent, fixed.segment) == (2, 5_000, "returning")
    again = runner.invoke(args=["recompute-stats"])
    assert "All customer figures were right" in again.output


def test_recompute_all_on_empty_shop(app):
    with app.app_context():
        assert stats.recompute_all() == []


def kept_counts() -> dict[str, int]:
    """The trigger-kept counts."""
    return dict(db.session.execute(select(SegmentCount.segment, SegmentCount.customers)).all())


def real_counts() -> dict[str, int]:
    """Counted from the customers."""
    counted = dict(db.session.execute(select(Customer.segment, func.count()).group_by(Customer.segment)).all())
    return {s: counted.get(s, 0) for s in segments.keys()}


def test_segment_counts_follow_every_change(app):
    with app.app_context():
        assert kept_counts() == {"vip": 0, "returning": 0, "new": 0, "prospect": 0}
        a = make_customer("A", orders_spec=[(60_000, "paid"), (50_000, "paid")])
        b = make_customer("B", orders_spec=[(1_000, "paid")])
        make_customer("C")
        db.session.commit()
        assert kept_counts() == real_counts() == {"vip": 1, "returning": 0, "new": 1, "prospect": 1}
        factories.order(b, 500)
        db.session.commit()
        assert kept_counts() == real_counts() == {"vip": 1, "returning": 1, "new": 0, "prospect": 1}
        get_settings().vip_threshold = 1_000
        segments.reassign_all(get_settings())
        db.session.commit()
        assert kept_counts() == real_counts() == {"vip": 2, "returning": 0, "new": 0, "prospect": 1}
        db.session.delete(db.session.get(Customer, db.session.scalar(select(Customer.id).where(Customer.first_name == "C"))))
        db.session.commit()
        assert kept_counts() == real_counts()
        for o in a.orders:
            orders.set_status(o, "refunded")
        db.session.commit()
        assert kept_counts() == real_counts() == {"vip": 1, "returning": 0, "new": 0, "prospect": 1}


def test_recompute_stats_repairs_drifted_segment_counts(app, runner):
    with app.app_context():
        make_customer("A", orders_spec=[(1_000, "paid")])
        db.session.commit()
        db.session.execute(update(SegmentCount).where(SegmentCount.segment == "new").values(customers=42))
        db.session.commit()
    result = runner.invoke(args=["recompute-stats"])
    assert "segment count new: was 42, now 1" in result.output
    with app.app_context():
        assert kept_counts() == real_counts()
