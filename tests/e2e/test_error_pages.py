"""Error pages in a real browser: a signed-in owner who lands on a missing page keeps the dashboard around it."""

import re

from playwright.sync_api import Page, expect


def test_a_missing_page_keeps_the_navigation_and_leads_back(logged_in_page: Page):
    page = logged_in_page
    response = page.goto("/customers/2147483647")
    assert response is not None and response.status == 404
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    nav.get_by_role("link", name="Insights", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    page.goto("/no-such-page")
    page.get_by_role("link", name="Back to customers").click()
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()


def test_a_visitor_gets_the_plain_page(page: Page, owner):
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to customers")).to_have_count(0)
