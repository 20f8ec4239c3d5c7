"""The customer list in a real browser: segment tabs, search, WhatsApp links, sorting and pages."""

import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, data_rows, expect_customers, first_row_name, mark_page

SEGMENT_NAMES = {
    "vip": ["Vera Vip"],
    "returning": ["Rita Return"],
    "new": ["Nina Newman"],
    "prospect": ["Pete Prospect", "Rory Refund"],
}
ALL_NAMES = [name for names in SEGMENT_NAMES.values() for name in names]


@pytest.fixture
def segmented(seed):
    """One customer in each segment, plus a refunded-only customer (a Prospect: refunds don't count)."""
    seed("Vera", "Vip", orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Rita", "Return", orders_spec=[(2500, "paid"), (3500, "paid")])
    seed("Nina", "Newman", orders_spec=[(4000, "paid")])
    seed("Pete", "Prospect")
    seed("Rory", "Refund", orders_spec=[(9000, "refunded")])


def url_pattern(text: str) -> str:
    """A regex for text as a query value, whichever way the browser or server encoded it."""
    escapes = {" ": r"(\+|%20)", "+": r"%2B"}
    return "".join(escapes.get(ch, re.escape(ch)) for ch in text)


def tab(page: Page, name: str):
    """A tab in the "Segments" tab list."""
    return page.get_by_role("tablist", name="Segments").get_by_role("tab", name=name, exact=True)


def test_segment_tabs_show_counts_and_swap_only_the_table(logged_in_page: Page, segmented):
    """Each tab shows its count; choosing one filters the table in place, moves the URL, and Back returns."""
    page = logged_in_page
    page.reload()
    for name in ("All 5", "VIP 1", "Returning 1", "New 1", "Prospect 2"):
        expect(tab(page, name)).to_be_visible()
    expect(tab(page, "All 5")).to_have_attribute("aria-selected", "true")
    expect_customers(page, ALL_NAMES)

    mark_page(page)
    tab(page, "VIP 1").click()
    expect(page).to_have_url(re.compile(r"/customers\?segment=vip$"))
    expect(tab(page, "VIP 1")).to_have_attribute("aria-selected", "true")
    expect(tab(page, "All 5")).to_have_attribute("aria-selected", "false")
    expect_customers(page, SEGMENT_NAMES["vip"])
    assert_no_page_load(page)

    for segment, label in (("returning", "Returning 1"), ("new", "New 1"), ("prospect", "Prospect 2")):
        tab(page, label).click()
        expect(page).to_have_url(re.compile(rf"\?segment={segment}$"))
        expect(tab(page, label)).to_have_attribute("aria-selected", "true")
        expect_customers(page, SEGMENT_NAMES[segment])
    assert_no_page_load(page)
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?segment=new$"))
    expect(tab(page, "New 1")).to_have_attribute("aria-selected", "true")
    expect_customers(page, SEGMENT_NAMES["new"])

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?segment=returning$"))
    expect(tab(page, "Returning 1")).to_have_attribute("aria-selected", "true")
    expect_customers(page, SEGMENT_NAMES["returning"])

    # A bookmarked ?segment= URL opens on that tab.
    page.goto("/customers?segment=prospect")
    expect(tab(page, "Prospect 2")).to_have_attribute("aria-selected", "true")
    expect_customers(page, SEGMENT_NAMES["prospect"])


def test_search_by_name_filters_rows_and_counts(logged_in_page: Page, seed):
    """Typing a surname keeps only matching rows; the URL and the tab counts follow; clearing restores all."""
    seed("Ada", "Lovelace", email="ada@example.com", orders_spec=[(5000, "paid")])
    seed("Grace", "Hopper", email="grace@example.com", orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Alan", "Turing", email="alan@example.com")
    page = logged_in_page
    page.reload()
    expect(tab(page, "All 3")).to_be_visible()

    mark_page(page)
    search = page.get_by_role("searchbox", name="Search customers")
    search.fill("hopper")
    expect(page).to_have_url(re.compile(r"[?&]q=hopper(&|$)"))
    expect_customers(page, ["Grace Hopper"])
    for name in ("All 1", "VIP 1", "Returning 0", "New 0", "Prospect 0"):
        expect(tab(page, name)).to_be_visible()
    assert_no_page_load(page)

    # Search stays applied when switching tabs.
    tab(page, "New 0").click()
    expect(page).to_have_url(re.compile(r"segment=new"))
    expect(page).to_have_url(re.compile(r"q=hopper"))
    expect(page.get_by_text("No customers match")).to_be_visible()
    tab(page, "All 1").click()
    expect_customers(page, ["Grace Hopper"])

    search.fill("")
    # The form sends an empty q=, which means no search.
    expect(page).to_have_url(re.compile(r"/customers(\?q=)?$"))
    expect_customers(page, ["Ada Lovelace", "Grace Hopper", "Alan Turing"])
    expect(tab(page, "All 3")).to_be_visible()
    assert_no_page_load(page)


def test_search_by_phone_in_any_format(logged_in_page: Page, seed):
    """A stored E.164 mobile is found however the owner types it."""
    seed("Mia", "Mobile", phone="+61412345678")
    seed("Lou", "Landline", phone="+61298765432")
    seed("Sam", "Other", phone="+61499999999")
    page = logged_in_page
    page.reload()
    search = page.get_by_role("searchbox", name="Search customers")
    for typed in ("0412 345 678", "+61412345678", "412345678"):
        search.fill(typed)
        expect(page).to_have_url(re.compile(r"[?&]q=" + url_pattern(typed) + r"(&|$)"))
        expect_customers(page, ["Mia Mobile"])
        expect(tab(page, "All 1")).to_be_visible()
        search.fill("")
        expect(data_rows(page)).to_have_count(3)


def test_search_without_matches_shows_empty_state_and_clears(logged_in_page: Page, seed):
    """A search that finds nobody says so, and "Clear search" brings everyone back."""
    seed("Ada", "Lovelace")
    seed("Grace", "Hopper")
    page = logged_in_page
    page.reload()
    search = page.get_by_role("searchbox", name="Search customers")
    search.fill("zebra")
    expect(page.get_by_role("heading", name=re.compile(r"^No customers match"))).to_be_visible()
    expect(page.get_by_text("No customers match")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    expect(tab(page, "All 0")).to_be_visible()

    page.get_by_role("link", name="Clear search").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect_customers(page, ["Ada Lovelace", "Grace Hopper"])
    expect(tab(page, "All 2")).to_be_visible()


def test_clear_search_empties_the_search_box(logged_in_page: Page, seed):
    """After "Clear search" the box no longer shows words the list is not filtered by."""
    seed("Ada", "Lovelace")
    page = logged_in_page
    page.reload()
    search = page.get_by_role("searchbox", name="Search customers")
    search.fill("zebra")
    page.get_by_role("link", name="Clear search").click()
    expect_customers(page, ["Ada Lovelace"])
    expect(search).to_have_value("", timeout=1_000)


def test_whatsapp_links(logged_in_page: Page, seed):
    """WhatsApp number first, else a mobile contact number; a landline gets no WhatsApp link."""
    seed("Wan", "Aziz", phone="+61298765400", whatsapp="+60123456789")
    seed("Mia", "Mobile", phone="+61412345678")
    seed("Lou", "Landline", phone="+61298765432")
    page = logged_in_page
    page.reload()
    expect_customers(page, ["Wan Aziz", "Mia Mobile", "Lou Landline"])
    expect(page.get_by_role("link", name="WhatsApp Wan Aziz", exact=True)).to_have_attribute(
        "href", "https://wa.me/60123456789")
    expect(page.get_by_role("link", name="WhatsApp Mia Mobile", exact=True)).to_have_attribute(
        "href", "https://wa.me/61412345678")
    expect(page.get_by_role("link", name="WhatsApp Lou Landline")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^WhatsApp "))).to_have_count(2)


FIRST_NAMES = ["Abby", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ian", "Jo", "Kai", "Lena",
               "Max", "Nell", "Otto", "Pia", "Quinn", "Ravi", "Sia", "Tom", "Uma", "Vic", "Wes", "Xena",
               "Yuri", "Zoe", "zack", "Emma", "Nico", "Olga"]


def test_sort_by_name_and_pages(logged_in_page: Page, seed):
    """The Name header sorts A-Z then Z-A in place; Next shows the last 5 of 30 (25 per page)."""
    names = [f"{first} Sample" for first in FIRST_NAMES]
    created = list(range(len(names)))
    random.Random(7).shuffle(created)  # newest-first order unrelated to names
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for name, offset in zip(names, created, strict=True):
        first, last = name.split(" ")
        seed(first, last, created_at=start + timedelta(hours=offset))
    by_name = sorted(names, key=str.casefold)

    page = logged_in_page
    page.reload()
    expect(data_rows(page)).to_have_count(25)
    newest = names[created.index(len(names) - 1)]
    expect(first_row_name(page)).to_have_text(newest)
    assert newest != by_name[0]

    mark_page(page)
    name_header = page.get_by_role("columnheader", name="Name")
    name_header.get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page).to_have_url(re.compile(r"dir=asc"))
    expect(name_header).to_have_attribute("aria-sort", "ascending")
    expect(first_row_name(page)).to_have_text(by_name[0])
    expect(data_rows(page).last.get_by_role("link").first).to_have_text(by_name[24])

    name_header.get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"dir=desc"))
    expect(name_header).to_have_attribute("aria-sort", "descending")
    expect(first_row_name(page)).to_have_text(by_name[-1])

    name_header.get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"dir=asc"))
    pagination = page.get_by_role("navigation", name="Pagination")
    expect(pagination).to_contain_text("Page 1 of 2")
    pagination.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect_customers(page, by_name[25:])
    expect(first_row_name(page)).to_have_text(by_name[25])
    expect(pagination).to_contain_text("Page 2 of 2")
    expect(pagination.get_by_role("link", name="Next")).to_have_count(0)
    assert_no_page_load(page)

    pagination.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(re.compile(r"sort=name&dir=asc$"))
    expect(first_row_name(page)).to_have_text(by_name[0])
