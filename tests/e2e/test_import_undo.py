"""Importing over existing customers in a real browser: the check without and with "Overwrite existing values",
its "Changes", the import, and "Undo this import" putting everything back."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, mark_page
from .test_import_flow import figure, upload

FILE = ("First name,Last name,Email,Phone,Suburb,State,Postcode\n"
        "Noah,Patel,chris@example.com,0412 555 101,Fitzroy,VIC,3065\n"
        "Holly,Wardle,holly@example.com,0412 555 102,,,\n"
        "Nina,New,nina@example.com,0412 555 199,Subiaco,WA,6008\n")


@pytest.fixture(autouse=True)
def uploads(live_app, tmp_path, monkeypatch):
    """Uploads in a temporary folder for this test."""
    monkeypatch.setitem(live_app.config, "IMPORT_DIR", str(tmp_path / "imports"))


def change_row(page: Page, field: str):
    """The row of the "Changes" table for one field."""
    return page.get_by_role("table", name="Changes").get_by_role("row").filter(
        has=page.get_by_role("cell", name=field, exact=True))


def test_check_without_and_with_overwrite_import_then_undo(logged_in_page: Page, seed, tmp_path):
    seed("Christopher", "Estrada", email="chris@example.com", phone="+61488464369", street="59 Catherine St",
         city="Albury", state="NSW", postcode="2640")
    seed("Holly", "Ward", email="holly@example.com")
    page = logged_in_page
    upload(page, tmp_path, FILE)
    expect(page).to_have_url(re.compile(r"/customers/import/[\w-]+$"))

    # Off by default: Christopher keeps what he has; Holly only gets the number she lacks.
    overwrite = page.get_by_label("Overwrite existing values")
    expect(overwrite).not_to_be_checked()
    expect(figure(page, "To create")).to_have_text("1")
    expect(figure(page, "To update")).to_have_text("1")
    expect(figure(page, "To skip")).to_have_text("1")
    expect(page.get_by_role("heading", name="Changes")).to_be_visible()
    expect(page.get_by_role("link", name="Holly Ward")).to_be_visible()
    expect(change_row(page, "Contact number")).to_contain_text("0412 555 102")
    expect(page.get_by_role("link", name="Christopher Estrada")).to_have_count(0)

    # On: the check runs again in place, and Christopher's name, number and address would be replaced.
    mark_page(page)
    overwrite.check()
    expect(figure(page, "To update")).to_have_text("2")
    expect(page.get_by_role("link", name="Christopher Estrada")).to_be_visible()
    expect(change_row(page, "First name")).to_contain_text("Christopher")
    expect(change_row(page, "First name")).to_contain_text("Noah")
    assert_no_page_load(page)
    expect(page).to_have_url(re.compile(r"overwrite=1"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download changes (CSV)").click()
    assert "Christopher Estrada,First name,Christopher,Noah" in download.value.path().read_text(encoding="utf-8-sig")

    page.get_by_role("button", name="Import 3 customers").click()
    expect(page.get_by_role("status").filter(has_text="Imported:")).to_have_text(
        "Imported: 1 created, 2 updated, 0 skipped")
    page.get_by_role("link", name="Back to the customer list").click()
    expect(page.get_by_role("link", name="Noah Patel", exact=True)).to_be_visible()

    # Undo from the list of recent imports.
    page.goto("/customers/import")
    page.get_by_role("button", name=re.compile("^Undo this import")).click()
    expect(page.get_by_role("status").filter(has_text="Import undone:")).to_contain_text(
        "Import undone: 1 customer it created was moved to Recently deleted, 9 values were put back on 2 customers.")
    page.get_by_role("link", name="Back to the customer list").click()
    expect(page.get_by_role("link", name="Christopher Estrada", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Holly Ward", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Nina New", exact=True)).to_have_count(0)
    page.goto("/customers/import")
    expect(page.get_by_role("link", name="Undone")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Undo this import"))).to_have_count(0)
