"""A shop moving from Shopify imports its customer export through the pages as it is: nothing to map by hand,
the left-out columns named, and the customers' own phones, full streets, notes and SMS consent arrive."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import data_rows
from .test_import_flow import figure, upload

SHOPIFY = (Path(__file__).parent.parent / "data" / "shopify_customers.csv").read_bytes()


@pytest.fixture(autouse=True)
def uploads(live_app, tmp_path, monkeypatch):
    """Uploads in a temporary folder for this test."""
    monkeypatch.setitem(live_app.config, "IMPORT_DIR", str(tmp_path / "imports"))


def test_a_shopify_export_imports_without_choosing_anything(logged_in_page: Page, tmp_path):
    page = logged_in_page
    upload(page, tmp_path, SHOPIFY, "customers_export.csv")
    expect(page).to_have_url(re.compile(r"/customers/import/[\w-]+$"))

    expect(page.get_by_label("Map Phone")).to_have_value("phone")
    expect(page.get_by_label("Map Default Address Phone")).to_have_value("")
    expect(page.get_by_label("Map Default Address Address2")).to_have_value("street_2")
    expect(page.get_by_label("Map Note")).to_have_value("note")
    expect(page.get_by_label("Map Accepts SMS Marketing")).to_have_value("sms_marketing")
    expect(page.get_by_label("Map Tags")).to_have_value("tags")
    expect(page.get_by_text("Columns left out:")).to_have_text(
        "Columns left out: “Customer ID”, “Default Address Phone”, “Total Spent”, “Total Orders”, “Tax Exempt”.")
    expect(figure(page, "To create")).to_have_text("5")
    expect(figure(page, "Invalid rows")).to_have_text("1")
    expect(page.locator(".import-problems").get_by_role("row").filter(has_text="no name, email or phone number")
           ).to_contain_text("7")

    page.get_by_role("button", name="Import 5 customers").click()
    expect(page.get_by_role("status").filter(has_text="Imported:")).to_have_text(
        "Imported: 5 created, 0 updated, 0 skipped")
    page.get_by_role("link", name="Back to the customer list").click()
    data_rows(page).get_by_role("link", name="Chloe Nguyen", exact=True).click()

    expect(page.get_by_role("heading", name="Chloe Nguyen", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="0412 345 678")).to_be_visible()
    location = page.get_by_role("region", name="Location")
    expect(location).to_contain_text("12 Smith Street, Unit 4")
    notes = page.get_by_role("region", name="Notes")
    expect(notes).to_contain_text("Prefers afternoon delivery, leave it at the side gate.")
    expect(notes).to_contain_text("Allergic to lavender.")
    tags = page.get_by_role("list", name="Tags of Chloe Nguyen")
    expect(tags.get_by_role("listitem")).to_have_text(["VIP", "wholesale"])
    consent = page.locator("dt", has_text="Text and WhatsApp marketing").locator("xpath=following-sibling::dd[1]")
    expect(consent).to_contain_text("Subscribed since")
    expect(consent).to_contain_text("(imported)")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("checkbox", name="Text and WhatsApp marketing")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Email marketing")).to_be_checked()
