"""Insights in a real browser: the figures, switching the period and the level in place, clicking through to
the customer list, and the email-marketing export."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from crm.extensions import db

from .. import factories
from ..factories import make_customer
from .conftest import assert_no_page_load, expect_customers, mark_page


@pytest.fixture
def shop(live_app):
    """Two VIPs, a returning and a new customer and a prospect, with orders placed days before now."""
    now = datetime.now(timezone.utc)
    with live_app.app_context():
        def customer(first, last, *paid, **fields):
            """A customer with paid orders given as (days ago, total)."""
            c = make_customer(first, last, **fields)
            for days, total in paid:
                factories.order(c, total, placed_at=now - timedelta(days=days))
            return c

        vera = customer("Vera", "Vip", (200, 60_000), (10, 50_000), email="vera@example.com",
                        city="Parramatta", state="NSW")
        vera.email_marketing = True
        customer("Vince", "Single", (400, 150_000), email="vince@example.com", city="Kingston", state="TAS")
        customer("Rita", "Return", (60, 2_000), (45, 3_000), city="Parramatta", state="NSW")
        customer("Nina", "Newman", (5, 4_000), city="Melbourne", state="VIC")
        customer("Pete", "Prospect", city="Kuala Lumpur", state="Wilayah Persekutuan Kuala Lumpur", country="MY")
        db.session.commit()
        db.session.remove()


def period_link(page: Page, name: str):
    """A link in the "Period" navigation."""
    return page.get_by_role("navigation", name="Period").get_by_role("link", name=name, exact=True)


def level_link(page: Page, name: str):
    """A link in the "Location level" navigation."""
    return page.get_by_role("navigation", name="Location level").get_by_role("link", name=name, exact=True)


def test_figures_and_switching_period_and_level_in_place(logged_in_page: Page, shop):
    """Each figure is on the page; period and level links swap only their panel and move the URL."""
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    for name in ("VIP customers", "Average lifetime value", "New vs returning", "Top locations"):
        expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()
    expect(page.get_by_role("link", name="2 VIP customers")).to_be_visible()
    expect(page.get_by_text("40% of 5 customers")).to_be_visible()
    expect(page.get_by_text("$672.50", exact=True)).to_be_visible()  # (1,100 + 1,500 + 50 + 40) / 4 who paid
    expect(page.get_by_role("img", name="Customers by segment")).to_be_visible()
    expect(page.get_by_role("img", name="New and returning customers by month, last 12 months")).to_be_visible()

    # 30 days: Vera (two orders: returning) and Nina (one: new)
    expect(period_link(page, "30 days")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("link", name="1 new customer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="1 returning customer", exact=True)).to_be_visible()

    mark_page(page)
    period_link(page, "90 days").click()
    expect(page).to_have_url(re.compile(r"/insights\?period=90d$"))
    expect(period_link(page, "90 days")).to_have_attribute("aria-current", "true")
    expect(period_link(page, "30 days")).not_to_have_attribute("aria-current", "true")
    expect(page.get_by_role("link", name="2 returning customers")).to_be_visible()  # + Rita
    expect(page.get_by_text("3 customers placed a paid order in the last 90 days.")).to_be_visible()

    ranking = page.get_by_role("figure", name="Most customers")
    expect(ranking.get_by_role("link").first).to_have_text("Parramatta, NSW")
    level_link(page, "State").click()
    expect(page).to_have_url(re.compile(r"/insights\?period=90d&level=state$"))
    expect(level_link(page, "State")).to_have_attribute("aria-current", "true")
    expect(ranking.get_by_role("link").first).to_have_text("NSW")
    level_link(page, "Country").click()
    expect(ranking.get_by_role("link")).to_have_text(["Australia", "Malaysia"])
    expect(period_link(page, "90 days")).to_have_attribute("aria-current", "true")  # the other panel stayed
    assert_no_page_load(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/insights\?period=90d&level=state$"))
    expect(level_link(page, "State")).to_have_attribute("aria-current", "true")


def test_vip_count_opens_the_vip_tab(logged_in_page: Page, shop):
    """The VIP count is a link to the VIP tab of the customer list."""
    page = logged_in_page
    page.goto("/insights")
    page.get_by_role("link", name="2 VIP customers").click()
    expect(page).to_have_url(re.compile(r"/customers\?segment=vip$"))
    tabs = page.get_by_role("tablist", name="Segments")
    expect(tabs.get_by_role("tab", name="VIP 2")).to_have_attribute("aria-selected", "true")
    expect_customers(page, ["Vera Vip", "Vince Single"])


def test_a_top_location_opens_the_list_for_that_place(logged_in_page: Page, shop):
    """A place in the ranking opens the list filtered to it; tabs keep the place; "Clear location" drops it."""
    page = logged_in_page
    page.goto("/insights")
    page.get_by_role("figure", name="Most customers").get_by_role("link", name="Parramatta, NSW").click()
    expect(page).to_have_url(re.compile(r"/customers\?country=AU&state=NSW&city=Parramatta$"))
    expect(page.get_by_text("Location: Parramatta, NSW")).to_be_visible()
    expect_customers(page, ["Vera Vip", "Rita Return"])
    tabs = page.get_by_role("tablist", name="Segments")
    expect(tabs.get_by_role("tab", name="All 2")).to_have_attribute("aria-selected", "true")

    mark_page(page)
    tabs.get_by_role("tab", name="Returning 1").click()
    expect(page).to_have_url(re.compile(r"/customers\?segment=returning&country=AU&state=NSW&city=Parramatta$"))
    expect_customers(page, ["Rita Return"])
    page.get_by_role("searchbox", name="Search customers").fill("vera")
    expect(page).to_have_url(re.compile(r"/customers\?segment=returning&q=vera&country=AU&state=NSW&city=Parramatta$"))
    expect(tabs.get_by_role("tab", name="VIP 1")).to_be_visible()
    page.get_by_role("link", name="Clear location").click()
    expect(page).to_have_url(re.compile(r"/customers\?segment=returning&q=vera$"))
    expect(page.get_by_text("Location:")).to_have_count(0)
    assert_no_page_load(page)


def test_export_for_email_marketing_downloads_the_segment(logged_in_page: Page, shop):
    """The export button downloads the chosen segment's customers who agreed to email marketing."""
    page = logged_in_page
    page.goto("/insights")
    expect(page.get_by_label("Segment to export")).to_have_value("vip")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export for email marketing").click()
    download = info.value
    assert re.fullmatch(r"email-marketing-vip-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    text = open(download.path(), encoding="utf-8").read()
    assert text.startswith("\ufeffid,first_name,last_name,email,")
    lines = text.strip().splitlines()
    assert len(lines) == 2 and ",Vera,Vip,vera@example.com," in lines[1]  # Vince gave no consent
