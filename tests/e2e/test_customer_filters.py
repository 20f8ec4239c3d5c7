"""The filter panel in a real browser: open Filters, filter by tag and last order, pick a place, remove a chip,
on a desktop and a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models import CustomerTag, Tag

from .conftest import assert_no_page_load, expect_customers, mark_page

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def tagged(seed, live_app):
    """Two Wholesale customers who last ordered on 4 and 7 January 2026, and a Gift buyer who never ordered."""
    vera = seed("Vera", "Vip", city="Parramatta", state="NSW", orders_spec=[(60_000, "paid"), (50_000, "paid")])
    rita = seed("Rita", "Return", city="Hobart", state="TAS", orders_spec=[(2_500, "paid")])
    pete = seed("Pete", "Prospect")
    with live_app.app_context():
        for name, ids in (("Wholesale", (vera, rita)), ("Gift buyer", (pete,))):
            tag = Tag(name=name, name_key=name.casefold(), customers=len(ids))
            db.session.add(tag)
            db.session.flush()
            db.session.add_all(CustomerTag(customer_id=i, tag_id=tag.id) for i in ids)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("size", SIZES)
def test_filter_by_tag_and_last_order_then_remove_a_chip(logged_in_page: Page, tagged, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.reload()
    expect_customers(page, ["Vera Vip", "Rita Return", "Pete Prospect"])
    mark_page(page)

    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Wholesale (2)").check()
    page.get_by_label("Last order From").fill("2026-01-05")
    # The place picker: a country's states load once it is chosen.
    page.get_by_label("Country").select_option("AU")
    expect(page.get_by_label("State").get_by_role("option")).to_have_text(["Any state", "NSW (1)", "TAS (1)"])
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"tag=Wholesale.*last_order_after=2026-01-05"))
    expect_customers(page, ["Vera Vip"])
    expect(page.get_by_text("Tags: Wholesale")).to_be_visible()
    expect(page.get_by_text("Last order: on or after 5 Jan 2026")).to_be_visible()
    expect(page.get_by_role("tab", name="All 1")).to_be_visible()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_page_load(page)

    page.get_by_role("link", name="Remove filter: Last order").click()
    expect(page).not_to_have_url(re.compile(r"last_order_after"))
    expect(page).to_have_url(re.compile(r"tag=Wholesale"))
    expect_customers(page, ["Vera Vip", "Rita Return"])
    expect(page.get_by_role("link", name="Remove filter: Last order")).to_have_count(0)

    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect_customers(page, ["Vera Vip", "Rita Return", "Pete Prospect"])
    assert_no_page_load(page)


def test_the_filters_work_without_javascript(browser, base_url, owner, tagged):
    """A plain GET form and links: the same filters as page loads."""
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Gift buyer (1)").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"tag=Gift"))
    expect_customers(page, ["Pete Prospect"])
    page.get_by_role("link", name="Remove filter: Tags").click()
    expect_customers(page, ["Vera Vip", "Rita Return", "Pete Prospect"])
    context.close()
