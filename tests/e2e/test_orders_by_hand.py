"""Recording a phone sale by hand on the profile, in a real browser."""

import re

from playwright.sync_api import Page, expect


def test_add_order_by_hand_moves_the_customer(logged_in_page: Page, seed):
    customer_id = seed("Pia", "Phone", email="pia@example.test")
    page = logged_in_page
    page.goto(f"/customers/{customer_id}")
    expect(page.get_by_text("Prospect").first).to_be_visible()
    page.get_by_role("button", name="Add order").click()
    expect(page.get_by_role("heading", name="Add order for Pia Phone")).to_be_visible()
    expect(page.get_by_label("Order number")).to_have_value(re.compile(r"^H-[2-9A-Z]{6}$"))

    page.get_by_label("Total").fill("12.345")
    page.get_by_label("Note").fill("Phoned in, pick up Friday")
    page.get_by_role("button", name="Save order").click()
    expect(page.get_by_label("Total")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Use at most 2 decimal places")).to_be_visible()
    expect(page.get_by_label("Note")).to_have_value("Phoned in, pick up Friday")

    page.get_by_label("Total").fill("89.90")
    page.get_by_role("button", name="Save order").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}#history$"))
    expect(page.get_by_role("status")).to_contain_text("added")
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("$89.90").first).to_be_visible()
    expect(history.get_by_role("row").filter(has_text="by hand")).to_have_count(1)
    expect(page.locator(".profile-head .segment")).to_contain_text("New")
