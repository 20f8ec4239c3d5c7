"""The keyboard in a real browser: tab lists answer the arrow keys, Home and End; a form sent back with errors
opens on its error summary; required fields say so."""

import re

from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, mark_page


def test_segment_tabs_follow_the_arrow_keys_home_and_end(logged_in_page: Page, seed):
    seed("Vera", "Important", orders_spec=[(150_000, "paid")])
    seed("Pia", "Prospect")
    page = logged_in_page
    tabs = page.get_by_role("tablist", name="Segments")
    tab = {name: tabs.get_by_role("tab", name=re.compile(rf"^{name}\b")) for name in
           ("All", "VIP", "Returning", "New", "Prospect")}
    # One stop of the Tab key: the selected tab; the others are reached with the arrows.
    expect(tab["All"]).to_have_attribute("tabindex", "0")
    expect(tab["VIP"]).to_have_attribute("tabindex", "-1")

    tab["All"].focus()
    page.keyboard.press("ArrowRight")
    expect(tab["VIP"]).to_be_focused()
    page.keyboard.press("End")
    expect(tab["Prospect"]).to_be_focused()
    page.keyboard.press("ArrowRight")  # wraps round to the first
    expect(tab["All"]).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(tab["Prospect"]).to_be_focused()
    page.keyboard.press("Home")
    expect(tab["All"]).to_be_focused()
    expect(tab["All"]).to_have_attribute("aria-selected", "true")  # moving opens nothing

    # Enter opens the focused tab in place; the focus stays on it, and it is now the list's one stop.
    mark_page(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(tab["VIP"]).to_have_attribute("aria-selected", "true")
    expect(tab["VIP"]).to_be_focused()
    expect(tab["VIP"]).to_have_attribute("tabindex", "0")
    expect(tab["All"]).to_have_attribute("tabindex", "-1")
    expect(page).to_have_url(re.compile(r"segment=vip"))
    assert_no_page_load(page)

    page.keyboard.press("End")
    page.keyboard.press(" ")  # Space opens it too
    expect(tab["Prospect"]).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("link", name="Pia Prospect")).to_be_visible()


def test_page_tabs_move_with_the_arrows(logged_in_page: Page):
    page = logged_in_page
    tabs = page.get_by_role("tablist", name="Customers")
    tabs.get_by_role("tab", name="Customer list").focus()
    page.keyboard.press("ArrowRight")
    expect(tabs.get_by_role("tab", name="Add customer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/customers/new$"))


def test_a_failed_save_opens_on_the_error_summary(logged_in_page: Page):
    page = logged_in_page
    page.goto("/customers/new")
    first_name = page.get_by_label("First name")
    expect(first_name).to_have_attribute("required", "")
    expect(page.get_by_text("Fields marked with * are required.")).to_be_visible()

    page.get_by_label("Email", exact=True).fill("sam@")
    page.get_by_role("button", name="Save customer").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Check the fields marked below: nothing was saved yet.")
    # Each link in it leads to its field.
    summary.get_by_role("link", name="First name").click()
    expect(first_name).to_be_focused()
    summary.get_by_role("link", name="Email").click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()


def test_settings_open_on_the_error_summary(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings")
    expect(page.get_by_label("Shop name")).to_have_attribute("required", "")
    page.get_by_label("Shop name").fill("")
    page.get_by_role("button", name="Save settings").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Shop name").click()
    expect(page.get_by_label("Shop name")).to_be_focused()


def test_an_invitation_sent_back_opens_on_the_error_summary(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings/team/invite")
    page.get_by_label("Email").fill("sam@")
    page.get_by_role("button", name="Send invitation").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("no invitation was sent")
    summary.get_by_role("link", name="Email").click()
    expect(page.get_by_label("Email")).to_be_focused()
