"""The customer list's filter panel: each filter's URL arguments and edges, notes for what was ignored, chips,
the place picker, exports that follow the filters, and (Hypothesis) filters that never break the page and whose
results always satisfy them."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, Tag
from crm.services import filters
from crm.services.customers import ListQuery, count_matching, customer_page, matching_ids

from . import factories
from .factories import make_customer
from .html import parse
from .test_customers import names, tab_counts

SYDNEY = ZoneInfo("Australia/Sydney")
NOW = datetime.now(timezone.utc)
ALL = ["Nina New", "Pete Prospect", "Rita Return", "Tara Tz", "Vera Vip"]


def tag(name: str, *customers: Customer) -> Tag:
    """A tag on some customers, written as the tag service writes them (rows and the kept count)."""
    row = Tag(name=name, name_key=name.casefold(), customers=len(customers))
    db.session.add(row)
    db.session.flush()
    db.session.add_all(CustomerTag(customer_id=c.id, tag_id=row.id) for c in customers)
    db.session.flush()
    return row


@pytest.fixture
def shop(app):
    """Five customers whose figures, dates, tags, memberships, consent and sources tell them apart."""
    with app.app_context():
        vera = make_customer("Vera", "Vip", email="vera@example.com", city="Parramatta", state="NSW",
                             source="order", created_at=datetime(2024, 3, 1, tzinfo=timezone.utc),
                             orders_spec=[(60_000, "paid"), (50_000, "paid")])
        rita = make_customer("Rita", "Return", email="rita@example.com", city="Bondi", state="NSW", source="import",
                             created_at=datetime(2025, 1, 10, tzinfo=timezone.utc))
        factories.order(rita, 2_500, placed_at=NOW - timedelta(days=12))
        factories.order(rita, 3_500, placed_at=NOW - timedelta(days=10))
        nina = make_customer("Nina", "New", city="Kingston", state="TAS", created_at=datetime(2025, 6, 1, tzinfo=timezone.utc))
        factories.order(nina, 4_000, placed_at=NOW - timedelta(days=400))
        pete = make_customer("Pete", "Prospect", email="pete@example.com", source="follow",
                             created_at=datetime(2025, 6, 15, 13, 30, tzinfo=timezone.utc))  # 15 June 23:30 in Sydney
        tara = make_customer("Tara", "Tz", country="MY", city="Shah Alam", state="Selangor",
                             created_at=datetime(2025, 6, 30, 14, 30, tzinfo=timezone.utc))  # 1 July 00:30 in Sydney
        # 31 March 14:30 UTC is already 1 April in Sydney (AEDT, UTC+11).
        factories.order(tara, 1_000, placed_at=datetime(2026, 3, 31, 14, 30, tzinfo=timezone.utc))
        vera.email_marketing = rita.email_marketing = True
        local_today = datetime.now(SYDNEY).date()
        factories.membership(vera, expires_on=local_today + timedelta(days=100))
        factories.membership(rita, expires_on=local_today + timedelta(days=10))
        factories.membership(nina, expires_on=local_today - timedelta(days=1))
        factories.membership(tara)  # no expiry: active for good
        tag("Wholesale", vera, rita)
        tag("Gift buyer", vera, pete)
        tag("Unused")
        db.session.commit()


def listed(client, query: str) -> list[str]:
    """The names the list shows for a query string, sorted."""
    response = client.get(f"/customers?{query}")
    assert response.status_code == 200
    return sorted(names(response.get_data(as_text=True)))


def notes(html: str) -> list[str]:
    """The notes about ignored or swapped values."""
    found = parse(html).find_all("div", role="status")
    return [item.text for box in found for item in box.all_by_role("listitem")]


@pytest.mark.parametrize(("query", "expected"), [
    ("tag=Wholesale", ["Rita Return", "Vera Vip"]),
    ("tag=wholesale", ["Rita Return", "Vera Vip"]),  # tag names match whatever their case
    ("tag=Wholesale&tag=Gift+buyer", ["Pete Prospect", "Rita Return", "Vera Vip"]),
    ("tag=Wholesale&tag=Gift+buyer&tag_mode=all", ["Vera Vip"]),
    ("tag=Wholesale&tag=Gift+buyer&tag_mode=none", ["Nina New", "Tara Tz"]),
    ("tag=Unused", []),
    ("spent_min=60", ["Rita Return", "Vera Vip"]),
    ("spent_max=40", ["Nina New", "Pete Prospect", "Tara Tz"]),
    ("spent_min=40&spent_max=60", ["Nina New", "Rita Return"]),  # both ends included
    ("spent_min=1,100.00", ["Vera Vip"]),
    ("orders_min=2", ["Rita Return", "Vera Vip"]),
    ("orders_max=0", ["Pete Prospect"]),
    ("orders_min=1&orders_max=1", ["Nina New", "Tara Tz"]),
    ("lapsed_days=180", ["Nina New", "Tara Tz", "Vera Vip"]),  # never ordered is not lapsed
    ("lapsed_days=30&spent_min=500", ["Vera Vip"]),
    ("since_after=2025-06-01&since_before=2025-06-15", ["Nina New", "Pete Prospect"]),
    ("since_after=2025-07-01", ["Tara Tz"]),  # created 30 June in UTC, 1 July in the shop's time zone
    ("since_before=2025-06-30", ["Nina New", "Pete Prospect", "Rita Return", "Vera Vip"]),
    ("membership=active", ["Rita Return", "Tara Tz", "Vera Vip"]),
    ("membership=expiring", ["Rita Return"]),
    ("membership=expiring&expiring_days=200", ["Rita Return", "Vera Vip"]),
    ("membership=expired", ["Nina New"]),
    ("membership=none", ["Pete Prospect"]),
    ("marketing=yes", ["Rita Return", "Vera Vip"]),
    ("marketing=no", ["Nina New", "Pete Prospect", "Tara Tz"]),
    ("source=import", ["Rita Return"]),
    ("source=manual", ["Nina New", "Tara Tz"]),
    ("tag=Wholesale&marketing=yes&orders_min=2&membership=expiring&country=AU&state=NSW", ["Rita Return"]),
])
def test_each_filter_lists_exactly_its_customers(logged_in, shop, query, expected):
    assert listed(logged_in, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("last_order_before=2026-03-31&last_order_after=2026-03-01", []),
    ("last_order_after=2026-04-01&last_order_before=2026-04-01", ["Tara Tz"]),
])
def test_last_order_days_are_the_shops_days(logged_in, shop, query, expected):
    # Tara's order was at 14:30 UTC on 31 March: 1 April in Sydney.
    assert listed(logged_in, query) == expected


def test_tab_counts_and_the_tab_follow_the_filters(logged_in, shop):
    html = logged_in.get("/customers?marketing=no").get_data(as_text=True)
    assert tab_counts(html) == {"All": "3", "VIP": "0", "Returning": "0", "New": "2", "Prospect": "1"}
    html = logged_in.get("/customers?marketing=no&segment=new&sort=name&dir=asc").get_data(as_text=True)
    assert names(html) == ["Nina New", "Tara Tz"]
    tabs = parse(html).by_role("tablist", "Segments")
    assert tabs.by_role("tab", "VIP 0")["href"] == "/customers?segment=vip&sort=name&dir=asc&marketing=no"


def test_filters_combine_with_the_search(logged_in, shop):
    assert listed(logged_in, "q=example.com&tag=Wholesale") == ["Rita Return", "Vera Vip"]
    assert listed(logged_in, "q=rita&tag=Gift+buyer") == []


@pytest.mark.parametrize(("query", "note"), [
    ("spent_min=abc", "Ignored total spent from “abc”: enter an amount such as 129.90."),
    ("spent_max=-5", "Ignored total spent to “-5”: enter an amount of zero or more."),
    ("orders_min=1e3", "Ignored orders from “1e3”: enter a whole number such as 3."),
    ("orders_max=%D9%A3", "Ignored orders to “٣”: enter a whole number such as 3."),
    ("last_order_after=2026-13-01", "Ignored last order from “2026-13-01”: enter a date such as 2026-03-31."),
    ("last_order_before=31%2F03%2F2026", "Ignored last order to “31/03/2026”: enter a date such as 2026-03-31."),
    ("since_after=0001-01-01", "Ignored customer since from “0001-01-01”: enter a date between 1900 and 2999."),
    ("lapsed_days=-30", "Ignored last order more than … days ago “-30”: enter a whole number such as 3."),
    ("membership=gold", "Ignored membership “gold”: choose active, expiring, expired, none."),
    ("marketing=maybe", "Ignored email marketing “maybe”: choose yes, no."),
    ("source=api", "Ignored source “api”: choose order, follow, manual, import."),
    ("tag_mode=some&tag=Wholesale", "Ignored tag match “some”: choose any, all, none."),
    ("tag=Nonesuch", "Ignored tag “Nonesuch”: the shop has no such tag."),
])
def test_malformed_values_are_ignored_with_a_note(logged_in, shop, query, note):
    response = logged_in.get(f"/customers?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert notes(html) == [note]
    ignored = query.split("&")[0].split("=")[0]
    if ignored not in ("tag_mode",):
        assert sorted(names(html)) == ALL


def test_an_unknown_tag_beside_a_known_one_is_left_out(logged_in, shop):
    html = logged_in.get("/customers?tag=Nonesuch&tag=Gift+buyer").get_data(as_text=True)
    assert sorted(names(html)) == ["Pete Prospect", "Vera Vip"]
    assert notes(html) == ["Ignored tag “Nonesuch”: the shop has no such tag."]


def test_blank_fields_filter_nothing_and_say_nothing(logged_in, shop):
    query = "tag=&spent_min=&spent_max=&orders_min=&last_order_after=&lapsed_days=&membership=&marketing=&source="
    html = logged_in.get(f"/customers?{query}").get_data(as_text=True)
    assert sorted(names(html)) == ALL and notes(html) == []
    assert not parse(html).find("span", **{"class": "filter-chip"})


@pytest.mark.parametrize(("query", "expected", "note"), [
    ("spent_min=60&spent_max=40", ["Nina New", "Rita Return"],
     "Swapped total spent from 60.00 and total spent to 40.00, which were the wrong way round."),
    ("orders_min=2&orders_max=1", ["Nina New", "Rita Return", "Tara Tz", "Vera Vip"],
     "Swapped orders from 2 and orders to 1, which were the wrong way round."),
    ("since_after=2025-06-15&since_before=2025-06-01", ["Nina New", "Pete Prospect"],
     "Swapped customer since from 2025-06-15 and customer since to 2025-06-01, which were the wrong way round."),
])
def test_reversed_ranges_are_swapped_and_said(logged_in, shop, query, expected, note):
    html = logged_in.get(f"/customers?{query}").get_data(as_text=True)
    assert sorted(names(html)) == expected
    assert notes(html) == [note]


def test_an_empty_range_shows_the_filters_empty_state(logged_in, shop):
    html = logged_in.get("/customers?spent_min=9999&segment=vip").get_data(as_text=True)
    assert names(html) == []
    assert parse(html).heading("No VIP customers match these filters")


def test_chips_name_each_filter_and_remove_it_alone(logged_in, shop):
    html = logged_in.get("/customers?segment=returning&q=rita&tag=Wholesale&spent_min=10&last_order_after=2026-01-01"
                         "&marketing=yes&country=AU").get_data(as_text=True)
    page = parse(html)
    chips = [chip.text for chip in page.find_all("span", **{"class": "filter-chip"})]
    assert chips == ["Location: Australia Clear location", "Tags: Wholesale", "Total spent: at least $10.00",
                     "Last order: on or after 1 Jan 2026", "Email marketing: yes"]
    assert page.link("Remove filter: Tags")["href"] == (
        "/customers?segment=returning&q=rita&country=AU&spent_min=10.00&last_order_after=2026-01-01&marketing=yes")
    assert page.link("Remove filter: Total spent")["href"] == (
        "/customers?segment=returning&q=rita&country=AU&tag=Wholesale&last_order_after=2026-01-01&marketing=yes")
    assert page.link("Clear all filters")["href"] == "/customers?segment=returning&q=rita"
    assert page.link("Clear location")["href"] == (
        "/customers?segment=returning&q=rita&tag=Wholesale&spent_min=10.00&last_order_after=2026-01-01&marketing=yes")


@pytest.mark.parametrize(("query", "chip"), [
    ("tag=Wholesale&tag=Gift+buyer", "Tags: Wholesale or Gift buyer"),
    ("tag=Wholesale&tag=Gift+buyer&tag_mode=all", "Tags: Wholesale and Gift buyer"),
    ("tag=Wholesale&tag_mode=none", "Tags: not Wholesale"),
    ("orders_min=2&orders_max=5", "Orders: 2 to 5"),
    ("orders_max=5", "Orders: at most 5"),
    ("since_before=2025-06-30", "Customer since: on or before 30 Jun 2025"),
    ("lapsed_days=1", "Lapsed: last order more than 1 day ago"),
    ("membership=expiring&expiring_days=7", "Membership: expiring within 7 days"),
    ("source=follow", "Source: Followed the shop"),
])
def test_chip_wording(logged_in, shop, query, chip):
    html = logged_in.get(f"/customers?{query}").get_data(as_text=True)
    assert [c.text for c in parse(html).find_all("span", **{"class": "filter-chip"})] == [chip]


def test_the_panel_is_a_get_form_showing_the_current_filters(logged_in, shop):
    html = logged_in.get("/customers?segment=vip&sort=name&dir=asc&tag=Wholesale&tag_mode=all&spent_min=10"
                         "&country=AU&state=NSW").get_data(as_text=True)
    page = parse(html)
    form = page.button("Apply filters").form
    assert form["method"] == "get" and form["action"] == "/customers"
    assert page.field("Total spent From").value == "10.00"
    assert page.field("Customers with").value == "all"
    assert page.field("Wholesale (2)").get("checked") is not None
    assert page.field("Gift buyer (2)").get("checked") is None
    assert page.field("Country").value == "AU"
    assert [o.text for o in page.field("State").all_by_role("option")] == ["Any state", "NSW (2)", "TAS (1)"]
    assert [o.text for o in page.field("City").all_by_role("option")] == ["Any city", "Bondi (1)", "Parramatta (1)"]
    hidden = {(i["name"], i["value"]) for i in form.find_all("input", type="hidden")}
    assert hidden == {("segment", "vip"), ("sort", "name"), ("dir", "asc")}
    # the search form sends the filters along with the words typed
    sent = {(i["name"], i["value"]) for i in page.find_all("input", form="customer-search")}
    assert {("tag", "Wholesale"), ("tag_mode", "all"), ("spent_min", "10.00"), ("country", "AU")} <= sent


def test_the_place_picker_loads_a_countrys_states_and_a_states_cities(logged_in, shop):
    response = logged_in.get("/customers/places?country=AU", headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"<html" not in response.data
    fragment = parse(response.data)
    assert [o.text for o in fragment.field("State").all_by_role("option")] == ["Any state", "NSW (2)", "TAS (1)"]
    assert fragment.field("City").tag == "input"
    cities = parse(logged_in.get("/customers/places?country=AU&state=NSW").data).field("City")
    assert [o.text for o in cities.all_by_role("option")] == ["Any city", "Bondi (1)", "Parramatta (1)"]
    unknown = parse(logged_in.get("/customers/places?country=ZZ").data)
    assert unknown.field("State").tag == "input" and unknown.field("City").tag == "input"


def test_the_list_page_offers_every_country_with_its_customers(logged_in, shop):
    page = parse(logged_in.get("/customers").data)
    assert [o.text for o in page.field("Country").all_by_role("option")] == [
        "Any country", "Australia (3)", "Malaysia (1)"]


def test_exports_follow_the_filters(logged_in, shop, app):
    page = parse(logged_in.get("/customers?tag=Wholesale&spent_max=100").data)
    href = page.link("Export CSV")["href"]
    assert href == "/customers/export?tag=Wholesale&spent_max=100.00"
    rows = logged_in.get(href).get_data(as_text=True).splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == ["Rita"]
    marketing = page.link("Export for email marketing")["href"]
    assert marketing == "/insights/export?tag=Wholesale&spent_max=100.00"
    rows = logged_in.get("/insights/export?tag=Wholesale&tag=Gift+buyer").get_data(as_text=True).splitlines()[1:]
    assert sorted(row.split(",")[1] for row in rows) == ["Rita", "Vera"]  # Pete agreed to nothing
    with app.app_context():
        details = [e.detail for e in db.session.query(AuditEvent).filter_by(action="export").order_by(AuditEvent.id)]
    assert details == ["Customer export: All customers, Tags: Wholesale; Total spent: at most $100.00, 1 customer",
                       "Email marketing export: All customers, Tags: Wholesale or Gift buyer, 2 customers"]


def test_matching_ids_and_count_matching_honour_the_filters(app, shop):
    with app.app_context():
        query = ListQuery.from_args({"tag": ["Wholesale", "gift buyer"], "tag_mode": "all", "segment": "vip"})
        assert count_matching(query, "AU") == 1
        [only] = db.session.scalars(matching_ids(query, "AU")).all()
        assert db.session.get(Customer, only).first_name == "Vera"
        assert query.args() == {"segment": "vip", "tag": ["Wholesale", "Gift buyer"], "tag_mode": "all"}
        assert ListQuery.from_args(MultiDict(query.args())) == query


def test_filters_read_the_way_they_are_written(app, shop):
    with app.app_context():
        args = {"spent_min": "1,299.5", "orders_max": "07", "lapsed_days": "90", "membership": "expiring",
                "expiring_days": "14", "source": "order", "since_after": "2025-01-01"}
        query = ListQuery.from_args(args, "AUD")
        assert query.filters.spent_min == Decimal("1299.50") and query.filters.orders_max == 7
        assert query.args() == {**args, "spent_min": "1299.50", "orders_max": "7"}
        assert query.notes == ()
        # an amount is read in the shop currency's precision
        assert ListQuery.from_args({"spent_min": "1299.5"}, "JPY").notes == (
            "Ignored total spent from “1299.5”: use at most 0 decimal places.",)


# ---- Hypothesis: whatever the arguments, the page answers, and every customer listed satisfies the filters ----

values = st.one_of(st.sampled_from(("", "0", "1", "2", "40", "60.5", "1100", "abc", "-1", "1e3", "٣", "2025-06-15",
                                    "2026-04-01", "2026-13-01", "9" * 30, "\x00")), st.text(max_size=8))
FILTER_ARGS = ("spent_min", "spent_max", "orders_min", "orders_max", "last_order_after", "last_order_before",
               "lapsed_days", "since_after", "since_before", "expiring_days")
drawn_args = st.fixed_dictionaries({}, optional={
    **{name: values for name in FILTER_ARGS},
    "tag": st.lists(st.sampled_from(("Wholesale", "gift buyer", "Unused", "Nonesuch", "")), max_size=3),
    "tag_mode": st.sampled_from(("any", "all", "none", "some")),
    "membership": st.sampled_from(("active", "expiring", "expired", "none", "gold")),
    "marketing": st.sampled_from(("yes", "no", "maybe")),
    "source": st.sampled_from(("order", "follow", "manual", "import", "api")),
    "segment": st.sampled_from(("all", "vip", "returning", "new", "prospect")),
    "sort": st.sampled_from(("name", "orders", "spent", "last_order", "created")),
    "dir": st.sampled_from(("asc", "desc")),
})


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(SYDNEY).date() if moment else None


def satisfies(customer: Customer, f: filters.Filters, local_today: date) -> bool:
    """The filters' meaning, written again in Python over one customer's own values."""
    tags = {t.name for t in customer.tags}
    wanted = set(f.tags)
    last, since = _day(customer.last_order_at), _day(customer.created_at)
    expires = customer.membership.expires_on if customer.membership else None
    checks = [
        not wanted or {"any": bool(tags & wanted), "all": wanted <= tags, "none": not tags & wanted}[f.tag_mode],
        f.spent_min is None or customer.total_spent >= f.spent_min * 100,
        f.spent_max is None or customer.total_spent <= f.spent_max * 100,
        f.orders_min is None or customer.order_count >= f.orders_min,
        f.orders_max is None or customer.order_count <= f.orders_max,
        f.last_order_after is None or (last is not None and last >= f.last_order_after),
        f.last_order_before is None or (last is not None and last <= f.last_order_before),
        f.lapsed_days is None or (last is not None and last < local_today - timedelta(days=f.lapsed_days)),
        f.since_after is None or since >= f.since_after,
        f.since_before is None or since <= f.since_before,
        f.marketing == "" or customer.email_marketing == (f.marketing == "yes"),
        f.source == "" or customer.source == f.source,
    ]
    member = customer.membership is not None
    membership = {"": True, "none": not member, "active": member and (expires is None or expires >= local_today),
                  "expired": member and expires is not None and expires < local_today,
                  "expiring": member and expires is not None
                  and local_today <= expires <= local_today + timedelta(days=f.expiring_days)}
    return all(checks) and membership[f.membership]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=drawn_args)
def test_any_filter_arguments_list_only_customers_that_satisfy_them(app, shop, logged_in, args):
    response = logged_in.get("/customers", query_string=MultiDict(
        [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]))
    assert response.status_code == 200
    with app.app_context():
        query = ListQuery.from_args(args)
        page = customer_page(query, "AU", 25)
        local_today = datetime.now(SYDNEY).date()
        assert all(satisfies(c, query.filters, local_today) for c in page.customers)
        everyone = db.session.scalars(db.select(Customer)).all()
        expected = {c.id for c in everyone if satisfies(c, query.filters, local_today)
                    and query.segment in ("all", c.segment)}
        assert {c.id for c in page.customers} == expected
        assert page.counts["all"] == len({c.id for c in everyone if satisfies(c, query.filters, local_today)})
        db.session.remove()
