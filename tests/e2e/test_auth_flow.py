"""First-run setup, login and logout in a real browser."""

import re

from playwright.sync_api import Page, expect

from ..conftest import OWNER_EMAIL, OWNER_PASSWORD
from .conftest import log_in, wait_for_reports, watch_for_csp_violations


def test_first_run_setup_creates_owner_and_setup_is_gone(page: Page):
    """With no owner, the dashboard leads to /setup; creating the account logs in and /setup becomes 404."""
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Create the owner account")).to_be_visible()

    page.get_by_label("Shop name").fill("Koala Goods")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Customers", exact=True)).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Insights", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()

    response = page.goto("/setup")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Create the owner account")).to_have_count(0)


def test_setup_with_bad_email_shows_error_and_keeps_input(page: Page):
    """A malformed email is marked invalid with its message; what the owner typed stays in the form."""
    page.goto("/setup")
    page.get_by_label("Shop name").fill("Koala Goods")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text(re.compile(r"Enter a valid email address"))).to_be_visible()
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile(r"Enter a valid email address"))
    expect(email).to_have_value("not-an-email")
    expect(page.get_by_label("Shop name")).to_have_value("Koala Goods")
    expect(page.get_by_role("heading", name="Create the owner account")).to_be_visible()

    # Fixing the email finishes setup.
    email.fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/customers$"))


def test_login_wrong_password_then_right_then_logout(page: Page, owner):
    """A wrong pair is refused; the right pair reaches the list; Log out locks the dashboard again."""
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    log_in(page, password="wrong password")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password")
    expect(page.get_by_label("Email")).to_have_value(OWNER_EMAIL)

    log_in(page)
    expect(page).to_have_url(re.compile(r"/customers\??$"))
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()

    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_cookies_copied_before_log_out_open_nothing_after(browser, base_url, logged_in_page: Page,
                                                           csp_violations):
    """A second browser given the first one's cookies is signed in, until the first logs out."""
    stolen = logged_in_page.context.cookies()
    other = browser.new_context(base_url=base_url)
    watch_for_csp_violations(other, csp_violations)
    try:
        other.add_cookies(stolen)
        copy = other.new_page()
        copy.goto("/customers")
        expect(copy.get_by_role("heading", name="Customers", level=1)).to_be_visible()

        logged_in_page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
        expect(logged_in_page).to_have_url(re.compile(r"/login$"))

        copy.goto("/customers")
        expect(copy).to_have_url(re.compile(r"/login\?next="))
        wait_for_reports(other)
    finally:
        other.close()
