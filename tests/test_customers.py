"""The customer list and profile through the test client: tabs, counts, search, sorts, pages, htmx partials."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from crm.extensions import db
from crm.services.customers import ListQuery, count_matching, matching_ids
from crm.services.shop import get_settings

from . import factories
from .factories import committed_customer, make_customer
from .html import Element, parse


def names(html: str) -> list[str]:
    """Customer names in table order: each data row's first link is the customer's name."""
    tables = parse(html).all_by_role("table")
    rows = [row for table in tables for row in table.all_by_role("row") if row.all_by_role("cell")]
    return [row.all_by_role("link")[0].name for row in rows]


def segment_tabs(html: str) -> list[Element]:
    """The tabs of the "Segments" tab list."""
    return parse(html).by_role("tablist", "Segments").all_by_role("tab")


def tab_counts(html: str) -> dict[str, str]:
    """Tab label -> count as shown ("All 5" reads {"All": "5"})."""
    return dict(tab.name.rsplit(" ", 1) for tab in segment_tabs(html))


def selected_tab(html: str) -> Element:
    """The segment tab marked selected (there is exactly one)."""
    [tab] = [tab for tab in segment_tabs(html) if tab["aria-selected"] == "true"]
    return tab


@pytest.fixture
def shop(app):
    """One customer in each segment, plus extras for search."""
    with app.app_context():
        make_customer("Vera", "Vip", email="vera@example.com", phone="+61412345678",
                      city="Parramatta", state="NSW", orders_spec=[(60_000, "paid"), (50_000, "paid")])
        make_customer("Ravi", "Returning", email="ravi@example.com", whatsapp="+60123456789",
                      city="Petaling Jaya", state="Selangor", country="MY",
                      orders_spec=[(1_000, "paid"), (2_000, "paid")])
        make_customer("Nina", "New", email="nina@example.com", company_name="Acme Pty Ltd",
                      phone="+61298765432", orders_spec=[(5_000, "paid")])
        make_customer("Pete", "Prospect", email="pete@example.com")
        make_customer("Rhea", "Refunded", orders_spec=[(9_000, "refunded")])
        db.session.commit()


def test_list_shows_every_segment_with_counts(logged_in, shop):
    response = logged_in.get("/customers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    doc = parse(html)
    assert doc.heading("Customers").tag == "h1"
    assert tab_counts(html) == {"All": "5", "VIP": "1", "Returning": "1", "New": "1", "Prospect": "2"}
    assert selected_tab(html).name == "All 5"
    headers = [header.text for header in doc.by_role("table").all_by_role("columnheader")]
    # the default columns ("Columns" adds Company, Orders and Customer since: tests/test_list_columns.py)
    for header in ("Name", "Email", "Contact number", "Tags", "Segment", "Total spent", "Last order", "Location"):
        assert any(text.startswith(header) for text in headers), header
    assert not any(text.startswith("Orders") for text in headers)
    assert "$1,100.00" in html
    assert "Parramatta, NSW" in html and "Petaling Jaya, Selangor, Malaysia" in html
    assert "0412 345 678" in html  # national format


@pytest.mark.parametrize(("segment", "expected"), [
    ("vip", ["Vera Vip"]), ("returning", ["Ravi Returning"]), ("new", ["Nina New"]),
    ("prospect", ["Rhea Refunded", "Pete Prospect"]),
])
def test_segment_tabs_filter(logged_in, shop, segment, expected):
    html = logged_in.get(f"/customers?segment={segment}").get_data(as_text=True)
    assert names(html) == expected
    tab = selected_tab(html)
    assert tab["id"] == f"segment-tab-{segment}"
    panel = parse(html).by_role("tabpanel")
    assert panel["id"] == tab["aria-controls"] and panel["aria-labelledby"] == tab["id"]


def test_segment_shown_by_icon_and_text(logged_in, shop):
    html = logged_in.get("/customers").get_data(as_text=True)
    rows = [row for row in parse(html).by_role("table").all_by_role("row") if row.all_by_role("cell")]
    segments = {row.all_by_role("link")[0].name: row.find("td", data_label="Segment") for row in rows}
    assert {name: cell.text for name, cell in segments.items()} == {
        "Vera Vip": "VIP", "Ravi Returning": "Returning", "Nina New": "New", "Pete Prospect": "Prospect",
        "Rhea Refunded": "Prospect"}
    for cell in segments.values():  # icons beside the text, hidden from screen readers ("New" is a badge)
        assert all(icon.get("aria-hidden") == "true" for icon in cell.find_all("svg")), cell
    assert segments["Vera Vip"].find("svg") is not None  # the star


def test_whatsapp_links(logged_in, shop):
    html = logged_in.get("/customers").get_data(as_text=True)
    whatsapp = {name: href for name, href in parse(html).links() if name.startswith("WhatsApp ")}
    assert whatsapp == {"WhatsApp Ravi Returning": "https://wa.me/60123456789",
                        "WhatsApp Vera Vip": "https://wa.me/61412345678"}  # not Nina: landline only


@pytest.mark.parametrize("q", ["0412 345 678", "+61412345678", "412345678", "+61 412 345 678", "0412", "vera",
                               "VIP", "vera@example", "Vera Vip", "vip vera", "ve", "er vi"])
def test_search_finds_by_name_email_phone(logged_in, shop, q):
    html = logged_in.get("/customers", query_string={"q": q}).get_data(as_text=True)
    assert names(html) == ["Vera Vip"]


def test_search_by_company_and_whatsapp(logged_in, shop):
    assert names(logged_in.get("/customers?q=acme").get_data(as_text=True)) == ["Nina New"]
    for q in ("+60 12-345 6789", "60123456789", "+6012"):
        assert names(logged_in.get("/customers", query_string={"q": q}).get_data(as_text=True)) == ["Ravi Returning"]
    # a national number is read in the shop's own country
    assert names(logged_in.get("/customers?q=012-345 6789").get_data(as_text=True)) == []


def test_a_row_found_by_its_whatsapp_number_says_so(logged_in, app, shop):
    committed_customer(app, "Wendy", "Both", phone="+61298765000", whatsapp="+61412999888")
    html = logged_in.get("/customers", query_string={"q": "0412 999"}).get_data(as_text=True)
    assert names(html) == ["Wendy Both"]
    row = next(r for r in parse(html).find_all("tr") if "Wendy Both" in r.text)
    assert "0412 999 888 matched WhatsApp number" in row.text and "(02) 9876 5000" not in row.text
    # found by the contact number itself, or by a name, the row shows the contact number as always
    for q in ("(02) 9876", "wendy"):
        row_text = next(r for r in parse(logged_in.get("/customers", query_string={"q": q}).get_data(as_text=True))
                        .find_all("tr") if "Wendy Both" in r.text).text
        assert "(02) 9876 5000" in row_text and "matched WhatsApp number" not in row_text


def test_search_counts_follow_the_search(logged_in, shop):
    html = logged_in.get("/customers?q=example.com").get_data(as_text=True)
    assert tab_counts(html) == {"All": "4", "VIP": "1", "Returning": "1", "New": "1", "Prospect": "1"}


def test_search_with_like_wildcards_is_literal(logged_in, shop):
    html = logged_in.get("/customers?q=%25").get_data(as_text=True)
    assert names(html) == []
    assert "No customers match" in html
    assert names(logged_in.get("/customers?q=_").get_data(as_text=True)) == []


def test_search_nothing_found_offers_to_clear(logged_in, shop):
    html = logged_in.get("/customers?segment=vip&q=ravi").get_data(as_text=True)
    assert "No customers match “ravi”" in html
    assert "Clear search" in html
    assert "There are 1 matches in other segments" in html


def test_search_unicode_names(logged_in, app):
    with app.app_context():
        make_customer("Zoë", "Ñúñez")
        make_customer("محمد", "علي")
        db.session.commit()
    assert names(logged_in.get("/customers?q=zoë").get_data(as_text=True)) == ["Zoë Ñúñez"]
    assert names(logged_in.get("/customers?q=ÑÚÑEZ").get_data(as_text=True)) == ["Zoë Ñúñez"]
    assert names(logged_in.get("/customers?q=علي").get_data(as_text=True)) == ["محمد علي"]


@pytest.fixture
def many(app):
    """30 customers with distinct figures for sorting and paging."""
    with app.app_context():
        base = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for i in range(30):
            make_customer(f"Cust{i:02d}", "Zed" if i % 2 else "Able", created_at=base + timedelta(days=i),
                          orders_spec=[(1_000 * (i + 1), "paid")] * (i % 4))
        db.session.commit()


def test_default_sort_is_newest_first_with_pages(logged_in, many):
    html = logged_in.get("/customers").get_data(as_text=True)
    assert len(names(html)) == 25
    assert names(html)[0] == "Cust29 Zed"
    assert "Page 1 of 2" in html and 'rel="next"' in html
    page2 = logged_in.get("/customers?page=2").get_data(as_text=True)
    assert names(page2) == [f"Cust{i:02d} {'Zed' if i % 2 else 'Able'}" for i in range(4, -1, -1)]
    assert 'rel="prev"' in page2


@pytest.mark.parametrize(("sort", "direction"), [
    ("name", "asc"), ("name", "desc"), ("orders", "desc"), ("orders", "asc"), ("spent", "desc"),
    ("spent", "asc"), ("last_order", "desc"), ("last_order", "asc"), ("created", "asc"), ("created", "desc"),
])
def test_every_sort(logged_in, many, app, sort, direction):
    html = logged_in.get(f"/customers?sort={sort}&dir={direction}").get_data(as_text=True)
    shown = names(html)
    assert len(shown) == 25
    from crm.models import Customer

    with app.app_context():
        rows = {c.full_name: c for c in db.session.scalars(db.select(Customer))}
    key = {"name": lambda c: c.full_name.casefold(), "orders": lambda c: c.order_count,
           "spent": lambda c: c.total_spent, "created": lambda c: c.created_at}.get(sort)
    if sort == "last_order":
        dated = [rows[n].last_order_at for n in shown if rows[n].last_order_at]
        assert dated == sorted(dated, reverse=direction == "desc")
        # customers who never ordered come last either way
        nones = [rows[n].last_order_at is None for n in shown]
        assert nones == sorted(nones)
    else:
        values = [key(rows[n]) for n in shown]
        assert values == sorted(values, reverse=direction == "desc")
    sorted_by = [header["aria-sort"] for header in parse(html).all_by_role("columnheader") if "aria-sort" in header.attrs]
    assert sorted_by == ([] if sort == "created" else ["ascending" if direction == "asc" else "descending"])


@pytest.mark.parametrize("args", ["segment=bogus", "sort=password_hash", "sort=name&dir=sideways", "page=abc",
                                  "page=-3", "page=0", "q=" + "x" * 5000, "segment[]=vip", "page=99999999999999999999"])
def test_bad_arguments_fall_back_never_500(logged_in, shop, args):
    response = logged_in.get(f"/customers?{args}")
    assert response.status_code == 200


def test_page_past_the_end_shows_empty_state(logged_in, shop):
    html = logged_in.get("/customers?page=40").get_data(as_text=True)
    assert "There is no page 40" in html
    assert "Go to the first page" in html


def test_empty_shop_says_what_next(logged_in, app):
    html = logged_in.get("/customers").get_data(as_text=True)
    assert "No customers yet" in html
    empty = next(e for e in parse(html).find_all("div") if "empty" in (e.get("class") or "").split())
    assert [(link.text, link["href"]) for link in empty.find_all("a")] == [
        ("Add customer", "/customers/new"), ("Import customers", "/customers/import")]
    with app.app_context():
        factories.member("rio@shop.test", "read_only")
        db.session.commit()
    reader = app.test_client()
    reader.post("/login", data={"email": "rio@shop.test", "password": factories.MEMBER_PASSWORD})
    reading = reader.get("/customers").get_data(as_text=True)
    assert "No customers yet" in reading and "Add customer" not in reading and "add them now" not in reading
    html = logged_in.get("/customers?segment=vip").get_data(as_text=True)
    assert "No VIP customers yet" in html and "$1,000.00" in html


def test_htmx_gets_only_the_results_partial(logged_in, shop):
    response = logged_in.get("/customers?segment=vip", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert [e for e in parse(html).children if isinstance(e, Element)][0]["id"] == "customer-results"
    assert names(html) == ["Vera Vip"]
    assert "HX-Request" in response.headers["Vary"]
    full = logged_in.get("/customers?segment=vip")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]


def test_links_work_without_javascript(logged_in, shop):
    html = logged_in.get("/customers?q=example.com").get_data(as_text=True)
    # tabs keep the search; the search form posts to the list itself
    vip = [tab for tab in segment_tabs(html) if tab.name.startswith("VIP")][0]
    assert vip["href"] == "/customers?segment=vip&q=example.com"
    search = parse(html).by_role("searchbox", "Search customers")
    assert search["name"] == "q" and search.form["action"] == "/customers"


def test_money_follows_shop_currency(logged_in, shop, app):
    with app.app_context():
        s = get_settings()
        s.currency, s.country = "MYR", "MY"
        db.session.commit()
    assert "RM1,100.00" in logged_in.get("/customers").get_data(as_text=True)


def test_profile_sections(logged_in, shop, app):
    from crm.models import Customer

    with app.app_context():
        vera = db.session.scalar(db.select(Customer).where(Customer.first_name == "Vera"))
        factories.note(vera, "<b>Likes</b> red")
        db.session.commit()
        vid = vera.id
    response = logged_in.get(f"/customers/{vid}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    doc = parse(html)
    assert doc.heading("Vera Vip").tag == "h1"
    headings = [h.text for h in doc.find_all("h2")]
    assert {"Contact", "Location", "History", "Notes"} <= set(headings) and "Membership" not in headings
    terms = [dt.text for dt in doc.find_all("dt")]
    for label in ("Total orders", "Total spent", "Last order"):
        assert label in terms, label
    assert "$1,100.00" in html and "$600.00" in html and "$500.00" in html
    assert "<b>Likes</b> red" in doc.text and doc.find("b") is None  # shown as typed, never as markup
    assert "Parramatta NSW" in html


def test_profile_membership_section_when_on(logged_in, shop, app):
    with app.app_context():
        get_settings().membership_enabled = True
        db.session.commit()
        from crm.models import Customer

        cid = db.session.scalar(db.select(Customer.id).limit(1))
    assert parse(logged_in.get(f"/customers/{cid}").get_data(as_text=True)).heading("Membership").tag == "h2"


def test_profile_orders_paginate_newest_first(logged_in, app):
    with app.app_context():
        cid = make_customer("Olga", "Orders", orders_spec=[(100 * (i + 1), "paid") for i in range(25)]).id
        db.session.commit()
    html = logged_in.get(f"/customers/{cid}").get_data(as_text=True)
    numbers = [cell.text for cell in parse(html).find_all("td", data_label="Order")]
    assert len(numbers) == 20 and all(re.fullmatch(r"#T\d+", n) for n in numbers)
    assert int(numbers[0][2:]) > int(numbers[-1][2:])
    partial = logged_in.get(f"/customers/{cid}?orders_page=2", headers={"HX-Request": "true"})
    text = partial.get_data(as_text=True)
    assert "<html" not in text and len(parse(text).find_all("td", data_label="Order")) == 5
    assert logged_in.get(f"/customers/{cid}?orders_page=x").status_code == 200


def test_missing_customer_is_404(logged_in):
    response = logged_in.get("/customers/999999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/customers/{big}", "/customers/{big}/edit", "/customers/{cid}/notes/{big}/edit",
                                  "/customers/{big}/orders/new", "/customers/{big}/delete",
                                  "/settings/tokens/{big}/revoke"])
def test_an_id_past_the_id_columns_range_is_404(logged_in, app, path):
    cid = committed_customer(app)
    for big in (2**31, 2**63, 10**30):
        url = path.format(cid=cid, big=big)
        response = logged_in.post(url) if url.endswith("/revoke") else logged_in.get(url)
        assert response.status_code == 404, url


def test_name_sort_folds_accents(logged_in, app):
    with app.app_context():
        for first in ("Zoe", "Émile", "Adam", "Ñandu", "eve"):
            make_customer(first, "Test")
        db.session.commit()
    html = logged_in.get("/customers?sort=name&dir=asc").get_data(as_text=True)
    assert names(html) == ["Adam Test", "Émile Test", "eve Test", "Ñandu Test", "Zoe Test"]


def test_htmx_pushes_the_clean_url(logged_in, shop):
    response = logged_in.get("/customers?q=&segment=bogus&page=1", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == "/customers"
    response = logged_in.get("/customers?q=vera+vip&segment=vip", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == "/customers?segment=vip&q=vera+vip"


def test_matching_ids_and_count_follow_the_tab_search_and_place(app):
    """What "all matching" means: the tab, the search and the place together, without sort or page."""
    with app.app_context():
        ann = make_customer(first_name="Ann", last_name="Lee", city="Hobart", state="TAS", country="AU")
        make_customer(first_name="Ann", last_name="Moss", city="Perth", state="WA", country="AU")
        make_customer(first_name="Bob", last_name="Lee", city="Hobart", state="TAS", country="AU")
        query = ListQuery.from_args({"q": "ann", "city": "Hobart", "page": "3", "sort": "name"})
        assert list(db.session.scalars(matching_ids(query, "AU"))) == [ann.id]
        assert count_matching(query, "AU") == 1
        assert count_matching(ListQuery.from_args({"q": "lee"}), "AU") == 2
        assert count_matching(ListQuery.from_args({"segment": "vip", "q": "lee"}), "AU") == 0
