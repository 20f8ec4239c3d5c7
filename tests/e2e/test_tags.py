"""Tagging a customer from the profile in a real browser, at 1280 and 390 px: a tag chosen from the
suggestions, a new one made with Enter, a refused name, removing one; all without a page load. Then the
chips in the list and the count in Settings › Tags."""

import pytest
from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.services import tags

from .conftest import assert_no_page_load, mark_page

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_tag_a_customer_from_the_profile(logged_in_page: Page, seed, live_app, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    customer_id = seed("Tia", "Tagged")
    with live_app.app_context():
        tags.get_or_create("Wholesale")
        db.session.commit()
        db.session.remove()
    page.goto(f"/customers/{customer_id}")
    section = page.locator("#tags")
    expect(section.get_by_text("No tags yet.")).to_be_visible()
    mark_page(page)

    box = page.get_by_role("combobox", name="Add tag")
    expect(page.locator("#tag-suggestions option")).to_have_count(1)
    box.fill("wholesale")
    box.press("Enter")
    expect(page.get_by_role("button", name="Remove tag Wholesale")).to_be_visible()
    status = page.locator("#tags-status")
    expect(status).to_have_text("Tag “Wholesale” added.")
    expect(status).to_have_attribute("aria-live", "polite")

    page.get_by_role("combobox", name="Add tag").fill("Collects in store")
    page.get_by_role("combobox", name="Add tag").press("Enter")
    expect(page.get_by_role("button", name="Remove tag Collects in store")).to_be_visible()
    expect(page.get_by_role("combobox", name="Add tag")).to_have_value("")

    page.get_by_role("combobox", name="Add tag").fill("Red; blue")
    page.get_by_role("combobox", name="Add tag").press("Enter")
    expect(page.get_by_text("Leave out commas and semicolons: they separate tags in files")).to_be_visible()
    expect(page.get_by_role("combobox", name="Add tag")).to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="Remove tag Wholesale").click()
    expect(page.get_by_role("button", name="Remove tag Wholesale")).to_have_count(0)
    expect(status).to_have_text("Tag “Wholesale” removed.")
    assert_no_page_load(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"page is {width}px wide"

    page.goto("/customers")
    expect(page.get_by_role("list", name="Tags").first).to_have_text("Collects in store")
    page.goto("/settings/tags")
    expect(page.get_by_role("row").filter(has_text="Collects in store")).to_contain_text("1")
    page.get_by_role("link", name="Edit tag Wholesale").click()
    expect(page.get_by_role("heading", name="Tag “Wholesale”")).to_be_visible()
