"""Loading feedback in a real browser, at 1280 and 390 px, with responses held back or failed on purpose: the
tab clicked shows selected at once, the results dim with a moving bar after 150 ms and say they are busy, and
a request the server fails or never answers says so with "Try again" (the old tab selected again)."""

import re

import pytest
from playwright.sync_api import Page, Route, expect

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
VIP_LIST = re.compile(r".*/customers\?segment=vip$")


@pytest.fixture
def shop(seed):
    seed("Vera", "Vip", orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Pete", "Prospect")


def tab(page: Page, name: str):
    return page.get_by_role("tablist", name="Segments").get_by_role("tab", name=name)


def hold(page: Page) -> list[Route]:
    """Requests for the VIP tab, held until the test lets them go."""
    held: list[Route] = []
    page.route(VIP_LIST, lambda route: held.append(route))
    return held


@pytest.mark.parametrize("size", SIZES)
def test_a_slow_tab_is_selected_at_once_and_the_results_dim(logged_in_page: Page, shop, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.goto("/customers")
    held = hold(page)
    results = page.locator("#customer-results")
    tab(page, "VIP 1").click()
    expect(tab(page, "VIP 1")).to_have_attribute("aria-selected", "true")
    expect(tab(page, "All 2")).to_have_attribute("aria-selected", "false")
    expect(results).to_have_attribute("aria-busy", "true")
    expect(results).to_have_class(re.compile(r"\bis-loading\b"))  # after 150 ms
    assert held, "the request is held"
    held[0].continue_()
    expect(page.get_by_role("link", name="Pete Prospect", exact=True)).to_have_count(0)
    expect(results).not_to_have_class(re.compile(r"\bis-loading\b"))
    expect(results).not_to_have_attribute("aria-busy", "true")


def test_a_quick_answer_does_not_dim(logged_in_page: Page, shop):
    page = logged_in_page
    page.goto("/customers")
    page.evaluate("""() => { window.__dimmed = false; new MutationObserver(() => {
        if (document.querySelector('.is-loading')) window.__dimmed = true; })
        .observe(document.body, {subtree: true, attributes: true, attributeFilter: ['class']}); }""")
    tab(page, "VIP 1").click()
    expect(page.get_by_role("link", name="Pete Prospect", exact=True)).to_have_count(0)
    assert page.evaluate("window.__dimmed") is False


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("failure", ("server error", "no answer"))
def test_a_failed_request_says_so_with_try_again(logged_in_page: Page, shop, size, failure):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.goto("/customers")
    if failure == "server error":
        page.route(VIP_LIST, lambda route: route.fulfill(status=503, body="Service Unavailable"))
    else:
        page.route(VIP_LIST, lambda route: route.abort("connectionrefused"))
    tab(page, "VIP 1").click()
    problem = page.get_by_role("alert")
    expected = ("the server answered with an error (503)." if failure == "server error"
                else "the server didn't answer.")
    expect(problem).to_have_text(re.compile(re.escape(f"This didn't load: {expected}")))
    again = problem.get_by_role("link", name="Try again")
    expect(again).to_have_attribute("href", "/customers?segment=vip")
    expect(tab(page, "All 2")).to_have_attribute("aria-selected", "true")  # back on the tab that shows
    expect(page.locator("#customer-results")).not_to_have_class(re.compile(r"\bis-loading\b"))
    page.unroute(VIP_LIST)
    again.click()
    expect(page).to_have_url(re.compile(r"/customers\?segment=vip$"))
    expect(tab(page, "VIP 1")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("alert")).to_have_count(0)
