"""Insights: each figure against hand-counted customers, the periods and levels, the month cache, the page."""

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Customer, InsightMonth, LocationCount, Order
from crm.services import insights, orders
from crm.services.shop import get_settings

from . import factories
from .factories import make_customer
from .html import Element, parse

SYDNEY = ZoneInfo("Australia/Sydney")


def customer(first, last, *paid_days_ago, unpaid=(), now=None, **fields):
    """A customer with paid orders placed the given numbers of days ago and unpaid ones as (days ago, status)."""
    now = now or datetime.now(timezone.utc)
    c = make_customer(first, last, **fields)
    for days, total in paid_days_ago:
        factories.order(c, total, placed_at=now - timedelta(days=days))
    for days, total, status in unpaid:
        factories.order(c, total, status, placed_at=now - timedelta(days=days))
    return c


@pytest.fixture
def shop(app):
    """Nine customers whose figures were counted by hand (VIP threshold 1,000.00; orders relative to now).

    VIP: Vera (2 orders, 10 and 200 days ago), Vince (1 order of 1,500.00, 400 days ago).
    Returning: Ravi (60 and 400 days ago), Tess (15 and 20 days ago).
    New: Nina (5 days), Olga (100 days), Carl (paid 50 days ago; his cancelled order 20 days ago doesn't count).
    Prospect: Rhea (refunded only), Pete (no orders, no address).
    """
    with app.app_context():
        customer("Vera", "Vip", (200, 60_000), (10, 50_000), city="Parramatta", state="NSW")
        customer("Ravi", "Returning", (400, 1_000), (60, 2_000), city="Petaling Jaya", state="Selangor",
                 country="MY")
        customer("Nina", "New", (5, 5_000), city="Parramatta", state="NSW")
        customer("Olga", "Once", (100, 7_000), city="Bondi", state="NSW")
        customer("Rhea", "Refunded", unpaid=[(3, 9_000, "refunded")], city="Bondi", state="NSW")
        customer("Carl", "Cancelled", (50, 3_000), unpaid=[(20, 4_000, "cancelled")], city="Melbourne", state="VIC")
        customer("Pete", "Prospect")
        customer("Tess", "Twice", (20, 2_000), (15, 2_500), city="Hobart", state="TAS")
        customer("Vince", "Single", (400, 150_000), city="Kingston", state="TAS")
        db.session.commit()


def test_segment_split_and_vip_share(app, shop):
    with app.app_context():
        split = insights.segment_split()
        assert split.counts == {"vip": 2, "returning": 2, "new": 3, "prospect": 2}
        assert split.total == 9 and split.share("vip") == pytest.approx(2 / 9)


def test_average_lifetime_value_counts_paid_orders_of_paying_customers(app, shop):
    with app.app_context():
        value = insights.lifetime_value()
        # 1,100 + 30 + 50 + 70 + 30 + 45 + 1,500 (refunds and cancellations left out) over 7 who paid
        assert value.spent == 282_500 and value.customers == 7
        assert value.average == 40_357  # 403.5714... rounds to 403.57


@pytest.mark.parametrize(("period", "new", "returning"), [
    ("30d", 1, 2),   # Nina; Vera and Tess (Tess's first order too is in the period: she came back)
    ("90d", 2, 3),   # + Carl new; + Ravi returning
    ("12m", 3, 3),   # + Olga new
    ("all", 4, 3),   # + Vince: one paid order; Vera, Ravi and Tess have two
])
def test_new_vs_returning_per_period(app, shop, period, new, returning):
    with app.app_context():
        figures = insights.new_vs_returning(period, datetime.now(timezone.utc), SYDNEY)
        assert (figures.new, figures.returning) == (new, returning)
        assert figures.customers == new + returning
        assert figures.returning_share == pytest.approx(returning / (new + returning))


def test_top_places_by_customers_and_spend_at_each_level(app, shop):
    with app.app_context():
        def ranked(level, by):
            """(name, customers, spent) of each ranked place."""
            return [(p.city or p.state or p.country, p.customers, p.spent) for p in insights.top_places(level, by)]

        assert ranked("city", "customers") == [
            ("Bondi", 2, 7_000), ("Parramatta", 2, 115_000), ("Hobart", 1, 4_500), ("Kingston", 1, 150_000),
            ("Melbourne", 1, 3_000), ("Petaling Jaya", 1, 3_000)]
        assert ranked("city", "spent")[:3] == [("Kingston", 1, 150_000), ("Parramatta", 2, 115_000),
                                               ("Bondi", 2, 7_000)]
        assert ranked("city", "spent")[-2:] == [("Melbourne", 1, 3_000), ("Petaling Jaya", 1, 3_000)]
        assert ranked("state", "customers") == [("NSW", 4, 122_000), ("TAS", 2, 154_500), ("VIC", 1, 3_000),
                                                ("Selangor", 1, 3_000)]
        assert ranked("state", "spent")[0] == ("TAS", 2, 154_500)
        assert ranked("country", "customers") == [("AU", 7, 279_500), ("MY", 1, 3_000)]
        places = insights.top_places("city", "customers")
        assert places[0].args() == {"country": "AU", "state": "NSW", "city": "Bondi"}


def test_top_places_leave_out_unnamed_places_and_keep_ten(app):
    with app.app_context():
        for n in range(12):
            make_customer(f"P{n}", "Place", city=f"Town {n:02d}", state="NSW")
        make_customer("No", "City", street="1 Somewhere Rd", state="VIC")
        db.session.commit()
        cities = insights.top_places("city", "customers")
        assert len(cities) == 10 and all(p.city for p in cities)
        assert insights.top_places("city", "spent") == []  # nobody has paid
        assert [p.state for p in insights.top_places("state", "customers")] == ["NSW", "VIC"]


def test_periods_start_where_they_say(app):
    now = datetime(2028, 2, 29, 3, 0, tzinfo=timezone.utc)  # 29 Feb, 2 pm in Sydney
    assert insights.period_start("30d", now, SYDNEY) == now - timedelta(days=30)
    assert insights.period_start("90d", now, SYDNEY) == now - timedelta(days=90)
    assert insights.period_start("12m", now, SYDNEY) == datetime(2027, 2, 28, 14, 0, tzinfo=SYDNEY)
    assert insights.period_start("all", now, SYDNEY) is None
    assert insights.clean_period("7d") == "30d" and insights.clean_level("suburb") == "city"


NOW = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)  # 15 June, noon in Sydney


@pytest.fixture
def calendar(app):
    """Orders on chosen dates around a fixed now (15 June 2026), for the months of the Sydney calendar."""
    with app.app_context():
        def paid(c, when, total=1_000, status="paid"):
            """An order placed at `when`."""
            return factories.order(c, total, status, placed_at=when)

        utc = timezone.utc
        a = make_customer("Anna", "March")
        paid(a, datetime(2026, 3, 10, tzinfo=utc))
        paid(a, datetime(2026, 5, 20, tzinfo=utc))
        b = make_customer("Ben", "Midnight")
        paid(b, datetime(2026, 4, 30, 14, 30, tzinfo=utc))  # 1 May, 12:30 am in Sydney
        c = make_customer("Cleo", "Twice")
        paid(c, datetime(2026, 5, 2, tzinfo=utc))
        paid(c, datetime(2026, 5, 25, tzinfo=utc))
        d = make_customer("Dan", "Later")
        paid(d, datetime(2026, 5, 10, tzinfo=utc))
        paid(d, datetime(2026, 6, 1, tzinfo=utc))
        e = make_customer("Eve", "Refunded")
        paid(e, datetime(2026, 5, 15, tzinfo=utc), status="refunded")
        f = make_customer("Finn", "June")
        paid(f, datetime(2026, 6, 10, tzinfo=utc))
        g = make_customer("Gus", "July")
        paid(g, datetime(2025, 7, 1, tzinfo=utc))
        h = make_customer("Hana", "Back")
        paid(h, datetime(2025, 6, 20, tzinfo=utc))  # before the twelve months
        paid(h, datetime(2025, 8, 5, tzinfo=utc))
        db.session.commit()


def month_figures(app, refresh: bool = True) -> dict[str, tuple[int, int]]:
    """{"Jul 2025": (new, returning), ...} from the service at NOW, once the worker's refresh has counted the
    months that are over (unless `refresh` is False)."""
    with app.app_context():
        if refresh:
            insights.refresh_months(NOW, SYDNEY)
            db.session.commit()
        months = insights.by_month(NOW, SYDNEY)
        return {m.first_day.strftime("%b %Y"): (m.figures.new, m.figures.returning) for m in months}


def test_months_of_the_shop_calendar(app, calendar):
    figures = month_figures(app)
    assert list(figures) == ["Jul 2025", "Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026",
                             "Feb 2026", "Mar 2026", "Apr 2026", "May 2026", "Jun 2026"]
    assert figures["Jul 2025"] == (1, 0)  # Gus
    assert figures["Aug 2025"] == (0, 1)  # Hana, back after June 2025
    assert figures["Mar 2026"] == (1, 0)  # Anna's first
    assert figures["Apr 2026"] == (0, 0)  # Ben paid on 30 April in UTC, but 1 May in Sydney
    assert figures["May 2026"] == (2, 2)  # Ben and Dan new (one order by May's end); Anna and Cleo returning
    assert figures["Jun 2026"] == (1, 1)  # so far: Finn new, Dan returning
    assert sum(n + r for n, r in figures.values()) == 9
    with app.app_context():
        months = insights.by_month(NOW, SYDNEY)
        assert months[-1].to_date and not any(m.to_date for m in months[:-1])
        assert months[0].first_day == datetime(2025, 7, 1, tzinfo=SYDNEY)


def test_closed_months_are_cached_and_an_order_change_clears_them(app, calendar):
    first = month_figures(app)
    with app.app_context():
        cached = db.session.scalars(select(InsightMonth).order_by(InsightMonth.starts_at)).all()
        assert len(cached) == 11 and {row.zone for row in cached} == {"Australia/Sydney"}
        assert cached[0].starts_at == datetime(2025, 6, 30, 14, 0, tzinfo=timezone.utc)  # 1 July, Sydney
        # a cached month is what the page reads, even if it is wrong on purpose
        may = next(r for r in cached if r.starts_at == datetime(2026, 4, 30, 14, tzinfo=timezone.utc))
        may.customers = 99
        db.session.commit()
    assert month_figures(app, refresh=False)["May 2026"] == (2, 97)
    with app.app_context():
        # Anna's May order is refunded: May and every later month go from the cache, earlier ones stay
        order = db.session.scalar(select(Order).join(Customer).where(Customer.first_name == "Anna",
                                                                     Order.placed_at > datetime(2026, 4, 1, tzinfo=timezone.utc)))
        orders.set_status(order, "refunded")
        db.session.commit()
        left = db.session.scalars(select(InsightMonth.starts_at)).all()
        assert len(left) == 10 and max(left) < datetime(2026, 4, 30, tzinfo=timezone.utc)
    after = month_figures(app, refresh=False)  # May is counted in memory until the next refresh
    assert after["May 2026"] == (2, 1)  # Ben and Dan new, Cleo returning
    assert {k: v for k, v in after.items() if k != "May 2026"} == {k: v for k, v in first.items() if k != "May 2026"}


def test_a_late_order_clears_its_month_and_later_ones(app, calendar):
    month_figures(app)
    with app.app_context():
        gus = db.session.scalar(select(Customer).where(Customer.first_name == "Gus"))
        factories.order(gus, 500, placed_at=datetime(2026, 1, 20, tzinfo=timezone.utc))
        db.session.commit()
        assert db.session.scalar(select(InsightMonth).where(
            InsightMonth.starts_at == datetime(2025, 12, 31, 13, tzinfo=timezone.utc))) is None
    assert month_figures(app, refresh=False)["Jan 2026"] == (0, 1)


def test_months_in_another_time_zone_are_counted_apart(app, calendar):
    month_figures(app)
    with app.app_context():
        insights.refresh_months(NOW, ZoneInfo("UTC"))
        db.session.commit()
        utc_months = insights.by_month(NOW, ZoneInfo("UTC"))
        assert {m.first_day.strftime("%b"): m.figures.new for m in utc_months}["Apr"] == 1  # Ben, in UTC
        assert db.session.scalar(select(InsightMonth).where(InsightMonth.zone == "UTC").limit(1)) is not None


def test_reading_the_months_stores_nothing(app, calendar):
    assert month_figures(app, refresh=False)["May 2026"] == (2, 2)  # counted in memory
    with app.app_context():
        assert db.session.scalar(select(InsightMonth).limit(1)) is None


def test_a_stale_cached_month_is_counted_again_in_memory(app, calendar):
    month_figures(app)
    with app.app_context():
        may = db.session.scalar(select(InsightMonth).where(
            InsightMonth.starts_at == datetime(2026, 4, 30, 14, tzinfo=timezone.utc)))
        may.customers, may.computed_at = 99, NOW - insights.MONTH_CACHE_AGE - timedelta(minutes=1)
        db.session.commit()
    assert month_figures(app, refresh=False)["May 2026"] == (2, 2)
    assert month_figures(app)["May 2026"] == (2, 2)
    with app.app_context():
        assert db.session.scalar(select(InsightMonth.customers).where(
            InsightMonth.starts_at == datetime(2026, 4, 30, 14, tzinfo=timezone.utc))) == 4


def test_an_empty_shop_has_no_figures_and_no_division_by_zero(app):
    with app.app_context():
        split = insights.segment_split()
        assert split.total == 0 and split.share("vip") == 0.0
        assert insights.lifetime_value().average is None
        figures = insights.new_vs_returning("30d", datetime.now(timezone.utc), SYDNEY)
        assert figures.customers == 0 and figures.returning_share is None
        assert all(m.figures.customers == 0 for m in insights.by_month(datetime.now(timezone.utc), SYDNEY))
        assert insights.top_places("city", "customers") == [] and insights.top_customers() == []


def place_rows() -> list[tuple]:
    """The kept place counts as sorted tuples, leaving out the rows a place's last customer of a segment left at 0."""
    return sorted(tuple(getattr(r, c.name) for c in LocationCount.__table__.columns)
                  for r in db.session.scalars(select(LocationCount)) if r.customers or r.spent)


def test_rebuilt_place_counts_equal_the_kept_ones(app, shop):
    with app.app_context():
        kept = place_rows()
        insights.rebuild_location_counts()
        # Per place a row for all its customers and one per segment they are in: 6 cities, 4 states, 2 countries.
        assert kept == place_rows() and len(kept) == (6 + 8) + (4 + 7) + (2 + 5)
        assert ("state", "AU", "NSW", "", "", 4, 122_000) in kept
        assert ("state", "AU", "NSW", "", "new", 2, 12_000) in kept


# The page


def card(html: str, heading: str) -> Element:
    """The card (a region) named by its heading."""
    return parse(html).by_role("region", heading)


def figure(html: str, heading: str) -> str:
    """The big number of a figure's card, as read out."""
    return card(html, heading).find("p", class_="figure").content_name()


def current(html: str, switch: str) -> str:
    """The chosen link of a switch ("Period", "Location level")."""
    [chosen] = parse(html).by_role("navigation", switch).find_all("a", aria_current="true")
    return chosen.text


def test_page_shows_every_figure_with_links_to_the_list(logged_in, shop):
    response = logged_in.get("/insights")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    doc = parse(html)
    assert doc.heading("Insights").tag == "h1"
    for heading in ("VIP customers", "Average lifetime value", "New vs returning", "Top locations"):
        assert doc.heading(heading).tag == "h2", heading
    vip = card(html, "VIP customers")
    assert vip.link("2 VIP customers")["href"] == "/customers?segment=vip"
    assert "22% of 9 customers" in html
    assert figure(html, "Average lifetime value") == "$403.57"
    assert "$2,825.00 paid in all, by 7 customers" in html
    assert doc.link("All customers by lifetime spend")["href"] == "/customers?sort=spent&dir=desc"
    [vince] = [item for item in card(html, "Average lifetime value").all_by_role("listitem")
               if item.all_by_role("link", "Vince Single")]
    assert vince.link("Vince Single")["href"].startswith("/customers/")
    assert vince.find(class_="spender-value").text == "$1,500.00"
    # the default period (30 days) and level (city)
    assert doc.by_role("navigation", "Period").link("30 days").attrs == {
        "href": "/insights", "hx-get": "/insights", "aria-current": "true"}
    assert "3 customers placed a paid order in the last 30 days." in html
    assert current(html, "Location level") == "City"
    links = doc.links()
    assert {href for name, href in links if name == "Parramatta, NSW"} == {
        "/customers?country=AU&state=NSW&city=Parramatta"}
    assert {href for name, href in links if name == "Petaling Jaya, Selangor, Malaysia"} == {
        "/customers?country=MY&state=Selangor&city=Petaling+Jaya"}
    hrefs = {href for _, href in links}
    for segment in ("vip", "returning", "new", "prospect"):
        assert f"/customers?segment={segment}" in hrefs


def test_charts_are_labelled_images_with_their_numbers_in_tables(logged_in, shop):
    html = logged_in.get("/insights").get_data(as_text=True)
    doc = parse(html)
    svgs = doc.find_all("svg")
    images = [svg for svg in svgs if svg.role == "img"]
    assert len(images) == 5  # segments, the period's split, months, and the two rankings
    assert all(svg.role == "img" or svg.get("aria-hidden") == "true" for svg in svgs)  # icons are hidden
    for image in images:
        for element_id in image["aria-labelledby"].split():
            label = doc.by_id(element_id)
            assert label.tag in ("title", "desc") and label.text, element_id
        assert image.name
    assert doc.by_id("segments-title").text == "Customers by segment"
    assert "VIP 2 (22%), Returning 2 (22%), New 3 (33%), Prospect 2 (22%)" in html
    assert [s.text for s in doc.find_all("summary")] == ["Show the numbers"] * 3
    assert doc.by_role("table", "New and returning customers by month")
    assert doc.by_id("rank-customers-title").text == "Top 6 cities by customers"
    assert "Kingston, TAS: $1,500.00" in html  # the spend ranking's description
    assert doc.find("body").find("script") is None  # drawn on the server: no chart script


@pytest.mark.parametrize(("period", "label", "ordered", "new", "returning"), [
    ("30d", "30 days", 3, 1, 2), ("90d", "90 days", 5, 2, 3), ("12m", "12 months", 6, 3, 3), ("all", "All time", 7, 4, 3),
])
def test_each_period_as_a_page_and_as_a_partial(logged_in, shop, period, label, ordered, new, returning):
    html = logged_in.get(f"/insights?period={period}&level=state").get_data(as_text=True)
    assert current(html, "Period") == label
    assert f"{ordered} customer" in html
    names = [name for name, _ in parse(html).by_id("period-figures").links()]
    assert f"{new} new customer{'s' if new != 1 else ''}" in names
    assert f"{returning} returning customer{'s' if returning != 1 else ''}" in names
    assert current(html, "Location level") == "State"  # the other panel keeps its level
    response = logged_in.get(f"/insights?period={period}&level=state",
                             headers={"HX-Request": "true", "HX-Target": "period-figures"})
    partial = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in partial
    fragment = parse(partial)
    assert fragment.has_id("period-figures")
    assert "Top locations" not in partial and not fragment.has_id("top-places")
    assert fragment.by_id("period-figures").link(re.compile(rf"^{new} new customers?$"))
    # the period links keep the level
    assert fragment.by_role("navigation", "Period").link("90 days")["href"] == "/insights?period=90d&level=state"
    expected = "/insights" + ("" if period == "30d" else f"?period={period}")
    assert response.headers["HX-Push-Url"] == expected + ("&level=state" if period != "30d" else "?level=state")
    assert {"HX-Request", "HX-Target"} <= set(response.headers["Vary"].replace(" ", "").split(","))


@pytest.mark.parametrize(("level", "first", "link"), [
    ("city", "Bondi, NSW", "/customers?country=AU&state=NSW&city=Bondi"),
    ("state", "NSW", "/customers?country=AU&state=NSW"),
    ("country", "Australia", "/customers?country=AU"),
])
def test_each_level_as_a_page_and_as_a_partial(logged_in, shop, level, first, link):
    response = logged_in.get(f"/insights?level={level}&period=90d",
                             headers={"HX-Request": "true", "HX-Target": "top-places"})
    partial = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in partial
    fragment = parse(partial)
    assert fragment.has_id("top-places") and not fragment.has_id("period-figures")
    assert current(partial, "Location level") == level.title()
    first_item = fragment.by_id("top-places").all_by_role("listitem")[0]
    assert first_item.links()[0] == (first, link)
    levels = fragment.by_role("navigation", "Location level")
    assert levels.link("Country")["href"] == "/insights?period=90d&level=country"  # level links keep the period
    html = logged_in.get(f"/insights?level={level}").get_data(as_text=True)
    assert current(html, "Location level") == level.title() and first in html


@pytest.mark.parametrize("query", ["period=7d&level=suburb", "period=&level=", "period[]=1", "level=%00"])
def test_bad_values_fall_back_to_the_defaults(logged_in, shop, query):
    response = logged_in.get(f"/insights?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert current(html, "Period") == "30 days" and current(html, "Location level") == "City"
    response = logged_in.get(f"/insights?{query}", headers={"HX-Request": "true", "HX-Target": "period-figures"})
    assert response.headers["HX-Push-Url"] == "/insights"


def test_htmx_without_a_known_target_gets_the_period(logged_in, shop):
    response = logged_in.get("/insights?period=12m", headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="period-figures"' in response.get_data(as_text=True)
    assert b"<html" not in response.data


def test_empty_shop_page_is_friendly(logged_in):
    response = logged_in.get("/insights")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No customers yet." in html and "No paid orders yet." in html
    assert "No paid orders in the last 30 days." in html
    assert "No paid orders in the last 12 months." in html and "No addresses yet." in html
    for period in insights.PERIODS:
        assert logged_in.get(f"/insights?period={period}").status_code == 200
    for level in insights.LEVELS:
        assert logged_in.get(f"/insights?level={level}").status_code == 200


def test_customers_without_paid_orders_show_no_spend_ranking(app, logged_in):
    with app.app_context():
        make_customer("Una", "Unpaid", city="Bondi", state="NSW")
        db.session.commit()
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "Bondi, NSW" in html and "No paid orders from these places yet." in html
    assert "0% of 1 customer · lifetime" in html


def test_insights_in_the_navigation(logged_in):
    html = logged_in.get("/insights").get_data(as_text=True)
    link = parse(html).by_role("navigation", "Main").link("Insights")
    assert link["href"] == "/insights" and link["aria-current"] == "page"


def test_money_follows_the_shop_currency(app, logged_in, shop):
    with app.app_context():
        settings = get_settings()
        settings.currency, settings.country = "MYR", "MY"
        db.session.commit()
    html = logged_in.get("/insights").get_data(as_text=True)
    assert figure(html, "Average lifetime value") == "RM403.57"
    assert "Parramatta, NSW, Australia" in html  # the shop's own country is now Malaysia


def test_a_swapped_panel_sends_the_other_panels_links_again(logged_in, shop):
    html = logged_in.get("/insights?period=90d&level=state").get_data(as_text=True)
    assert "hx-swap-oob" not in html and html.count('id="level-switch"') == 1
    period = logged_in.get("/insights?period=12m&level=state",
                           headers={"HX-Request": "true", "HX-Target": "period-figures"}).get_data(as_text=True)
    oob = parse(period).by_role("navigation", "Location level")
    assert oob["id"] == "level-switch" and oob["hx-swap-oob"] == "true"
    assert oob.link("Country")["href"] == "/insights?period=12m&level=country"
    assert current(period, "Location level") == "State"
    places = logged_in.get("/insights?period=12m&level=country",
                           headers={"HX-Request": "true", "HX-Target": "top-places"}).get_data(as_text=True)
    oob = parse(places).by_role("navigation", "Period")
    assert oob["id"] == "period-switch" and oob["hx-swap-oob"] == "true"
    assert oob.link("All time")["href"] == "/insights?period=all&level=country"
    assert current(places, "Period") == "12 months"
