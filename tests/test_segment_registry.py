"""The segment registry: one declaration per segment gives the Python check, the SQL, the tabs, badges, empty
states, counts, Insights and exports, so a new segment is one entry and nothing else."""

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from sqlalchemy import delete, func, select

from crm.extensions import db
from crm.models import Customer, LocationCount, SegmentCount
from crm.services import insights, orders, segments, stats
from crm.services.customers import ListQuery, Location, customer_page
from crm.services.segments import Segment, Standing, segment_case, segment_for
from crm.services.shop import get_settings

from .conftest import clean_database, make_customer
from .test_customers import names, tab_counts

T = 100_000  # the default VIP threshold
NOW = datetime.now(timezone.utc)
A_YEAR_AGO = NOW - timedelta(days=365)
LAPSED = Segment("lapsed", "Lapsed", Markup('<circle cx="12" cy="12" r="4" fill="currentColor"/>'),
                 "No lapsed customers", "Customers who last paid for an order over a year ago show here.",
                 rule=lambda c, shop: (c.last_order_at < A_YEAR_AGO) & (c.total_spent < shop.vip_threshold))


def test_every_segment_but_the_last_has_a_rule_and_the_keys_fit_the_columns():
    segments.check(segments.SEGMENTS)
    assert segments.keys() == ("vip", "returning", "new", "prospect")  # the contract's tab order
    assert [s.label for s in segments.SEGMENTS] == ["VIP", "Returning", "New", "Prospect"]
    assert all(s.icon for s in segments.SEGMENTS)  # every badge has an icon, New too


@pytest.mark.parametrize("broken", [
    (*segments.SEGMENTS, replace(segments.SEGMENTS[-1], key="other")),  # two without a rule
    (*segments.SEGMENTS[:-1], replace(segments.SEGMENTS[-1], rule=lambda c, shop: c.order_count == 0)),
    (replace(segments.SEGMENTS[0], key="new"), *segments.SEGMENTS[1:]),  # a key twice
    (replace(segments.SEGMENTS[0], key="all"), *segments.SEGMENTS[1:]),  # the list's first tab
    (replace(segments.SEGMENTS[0], key=""), *segments.SEGMENTS[1:]),  # location_count's row for all
    (replace(segments.SEGMENTS[0], key="much-too-long"), *segments.SEGMENTS[1:]),
    (),
])
def test_a_registry_that_cannot_work_is_refused(broken):
    with pytest.raises(ValueError):
        segments.check(broken)


def test_a_customer_without_orders_gets_the_segment_the_rules_give_no_orders(app):
    with app.app_context():
        customer = make_customer("Pat")
        for threshold in (1, T, 10 * T):
            assert segment_for(Standing(0, 0), SimpleNamespace(vip_threshold=threshold)) == customer.segment


FIGURES = [(count, total, last) for count in (0, 1, 2, 5) for total in (0, 1, T - 1, T, 3 * T)
           for last in (None, NOW - timedelta(days=400), NOW - timedelta(days=3))]


@pytest.mark.parametrize("registry", ["shipped", "with lapsed"])
def test_the_python_check_and_the_sql_case_agree(app, monkeypatch, registry):
    """One declaration, two readings: the segment of every mix of figures is the same in Python and in SQL."""
    if registry == "with lapsed":
        monkeypatch.setattr(segments, "SEGMENTS", (segments.SEGMENTS[0], LAPSED, *segments.SEGMENTS[1:]))
    with app.app_context():
        shop = get_settings()
        for i, (count, total, last) in enumerate(FIGURES):
            db.session.add(Customer(first_name=f"F{i}", order_count=count, total_spent=total, last_order_at=last,
                                    first_order_at=last))
        db.session.flush()
        in_sql = dict(db.session.execute(select(Customer.first_name, segment_case(Customer, shop))).all())
        in_python = {f"F{i}": segment_for(Standing(c, t, last, last), shop) for i, (c, t, last) in enumerate(FIGURES)}
        assert in_sql == in_python
        assert set(in_python.values()) == set(segments.keys())
        db.session.rollback()


@pytest.mark.parametrize(("segment", "title", "text"), [
    ("vip", "No VIP customers yet", "Customers become VIPs when their lifetime spend reaches $1,000.00."),
    ("returning", "No returning customers yet", "Customers show here after their second paid order."),
    ("new", "No new customers", "Customers with exactly one paid order show here."),
    ("prospect", "No prospects", "People who follow your shop but haven&#39;t ordered yet show here."),
])
def test_each_empty_tab_says_what_fills_it(logged_in, segment, title, text):
    html = logged_in.get(f"/customers?segment={segment}").get_data(as_text=True)
    assert f"<h2>{title}</h2>" in html and f"<p>{text}</p>" in html


def test_badges_show_icon_label_and_the_class_of_their_key(app, logged_in):
    with app.app_context():
        make_customer("Nina", orders_spec=[(5_000, "paid")])
        db.session.commit()
    html = logged_in.get("/customers").get_data(as_text=True)
    badge = re.search(r'<span class="segment segment-new">\s*<svg aria-hidden="true"[^>]*>(.+?)</svg>\s*'
                      r'<span class="segment-text">New</span>', html, re.S)
    assert badge and badge.group(1) == segments.by_key()["new"].icon


# A segment added to the registry, and nothing else


@pytest.fixture
def lapsed(app, monkeypatch):
    """The registry with a Lapsed segment between VIP and Returning, for this test only."""
    monkeypatch.setattr(segments, "SEGMENTS", (segments.SEGMENTS[0], LAPSED, *segments.SEGMENTS[1:]))
    segments.check(segments.SEGMENTS)
    yield LAPSED
    with app.app_context():
        clean_database()
        db.session.execute(delete(SegmentCount).where(SegmentCount.segment == LAPSED.key))
        db.session.commit()


def _customers_in_places(app) -> None:
    """Two lapsed customers in NSW, a recent returning one in NSW, a lapsed VIP (stays VIP) and one in Malaysia."""
    with app.app_context():
        long_ago = NOW - timedelta(days=500)
        for name, city, state, country, spec in (
            ("Lena", "Parramatta", "NSW", "AU", [(4_000, long_ago)]),
            ("Larry", "Bondi", "NSW", "AU", [(3_000, long_ago), (2_000, long_ago + timedelta(days=9))]),
            ("Rosa", "Bondi", "NSW", "AU", [(3_000, NOW - timedelta(days=20)), (2_000, NOW - timedelta(days=5))]),
            ("Vic", "Hobart", "TAS", "AU", [(150_000, long_ago)]),
            ("Mei", "Petaling Jaya", "Selangor", "MY", [(1_000, NOW - timedelta(days=2))]),
        ):
            customer = make_customer(name, "Registry", email=f"{name.lower()}@example.com", city=city, state=state,
                                     country=country)
            customer.email_marketing = True
            for n, (total, placed) in enumerate(spec):
                orders.add_order(customer, f"R-{name}-{n}", placed, total)
        db.session.commit()


def _kept_places() -> list[tuple]:
    """The kept place counts, without rows left at zero."""
    return sorted((r.level, r.country, r.state, r.city, r.segment, r.customers, r.spent)
                  for r in db.session.scalars(select(LocationCount)) if r.customers or r.spent)


def test_a_new_segment_is_counted_kept_and_listed(app, logged_in, runner, lapsed):
    _customers_in_places(app)
    with app.app_context():
        assert db.session.scalar(select(SegmentCount.customers).where(SegmentCount.segment == "lapsed")) == 2
        assert stats.recompute_all() == [] and stats.recompute_segment_counts() == []
        assert segments.reassign_all(get_settings()) == 0  # the SQL reading agrees with the writes
        kept = _kept_places()
        assert ("state", "AU", "NSW", "", "lapsed", 2, 9_000) in kept
        insights.rebuild_location_counts()
        assert _kept_places() == kept
        assert customer_page(ListQuery(location=Location("AU", "NSW")), "AU", 25).counts == {
            "all": 3, "vip": 0, "lapsed": 2, "returning": 1, "new": 0, "prospect": 0}
        assert insights.segment_split().counts == {"vip": 1, "lapsed": 2, "returning": 1, "new": 1, "prospect": 0}
    html = logged_in.get("/customers").get_data(as_text=True)
    assert list(tab_counts(html).items()) == [("All", "5"), ("VIP", "1"), ("Lapsed", "2"), ("Returning", "1"),
                                              ("New", "1"), ("Prospect", "0")]
    html = logged_in.get("/customers?segment=lapsed&sort=name&dir=asc").get_data(as_text=True)
    assert names(html) == ["Larry Registry", "Lena Registry"]
    assert html.count('<span class="segment segment-lapsed">') == 2
    html = logged_in.get("/customers?segment=lapsed&country=MY").get_data(as_text=True)
    assert "<h2>No Lapsed customers in Malaysia</h2>" in html


def test_a_new_segment_follows_orders_and_shows_its_empty_state(app, logged_in, lapsed):
    _customers_in_places(app)
    with app.app_context():
        for customer in db.session.scalars(select(Customer).where(Customer.segment == "lapsed")):
            orders.add_order(customer, f"BACK-{customer.id}", NOW, 500)  # both come back
        db.session.commit()
        assert db.session.scalar(select(SegmentCount.customers).where(SegmentCount.segment == "lapsed")) == 0
        assert ("state", "AU", "NSW", "", "lapsed", 0, 0) in {
            (r.level, r.country, r.state, r.city, r.segment, r.customers, r.spent)
            for r in db.session.scalars(select(LocationCount))}
    html = logged_in.get("/customers?segment=lapsed").get_data(as_text=True)
    assert "<h2>No lapsed customers</h2>" in html
    assert "<p>Customers who last paid for an order over a year ago show here.</p>" in html


def test_a_new_segment_is_in_insights_and_the_exports(app, logged_in, lapsed):
    _customers_in_places(app)
    html = logged_in.get("/insights").get_data(as_text=True)
    assert re.search(r'<a href="/customers\?segment=lapsed">Lapsed</a></th>\s*<td class="num">2</td>', html)
    assert "Lapsed 2 (40%)" in html  # the chart's description
    assert '<option value="lapsed">Lapsed</option>' in html
    assert '<option value="vip" selected>VIP</option>' in html  # the first segment stays the one chosen
    response = logged_in.get("/insights/export?segment=lapsed")
    assert 'filename="email-marketing-lapsed-' in response.headers["Content-Disposition"]
    rows = response.get_data(as_text=True).splitlines()[1:]
    assert sorted(row.split(",")[3] for row in rows) == ["larry@example.com", "lena@example.com"]
    response = logged_in.get("/customers/export?segment=lapsed")
    assert 'filename="customers-lapsed-' in response.headers["Content-Disposition"]
    assert len(response.get_data(as_text=True).splitlines()) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.segment == "lapsed")) == 2
