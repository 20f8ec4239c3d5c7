"""The audit trail page in a real browser: what was done shows up, and the filters narrow it in place."""

import re

from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, mark_page


def test_trail_shows_an_edit_and_filters(logged_in_page: Page, seed):
    customer_id = seed("Tess", "Trail", email="tess@example.test")
    page = logged_in_page
    page.goto(f"/customers/{customer_id}/edit")
    page.get_by_label("Last name").fill("Trailblazer")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    page.goto(f"/customers/{customer_id}/delete")  # a confirmation page, not a deletion
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(rows).to_have_count(2)  # the edit, and the owner's sign-in before it
    expect(rows.last).to_contain_text("Signed in")
    expect(rows.last.get_by_role("cell").nth(3)).to_have_text("—")  # no customer
    expect(rows.first).to_contain_text("Last name")
    expect(rows.first).to_contain_text("Trailblazer")
    expect(rows.first.get_by_role("link", name="Tess Trailblazer")).to_have_attribute(
        "href", f"/customers/{customer_id}")

    mark_page(page)
    page.get_by_label("Action").select_option(label="Deleted")
    expect(page.get_by_text("Nothing matches these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/audit\?action=delete$"))
    page.get_by_label("Action").select_option(label="Edited")
    expect(rows).to_have_count(1)
    assert_no_page_load(page)


def test_on_a_phone_each_event_is_labelled_and_the_nav_keeps_to_one_line(logged_in_page: Page):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/audit")
    first = page.locator("table.audit tbody tr").first
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(td => getComputedStyle(td, '::before').content)")
    assert labels == ['"When"', '"Who"', '"Action"', '"Customer"', '"Details"']
    box = first.bounding_box()
    text = first.locator("td").first.locator("time").bounding_box()
    assert text["x"] - box["x"] >= 12, "the entry's text is flush against its edge"
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail")
    assert link.bounding_box()["height"] <= 44, "Audit trail wraps in the nav"
