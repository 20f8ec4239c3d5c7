"""Downloading the customer list as CSV in a real browser, after switching tabs with htmx."""

import csv
import io

from playwright.sync_api import Page, expect


def test_export_downloads_the_current_tab(logged_in_page: Page, seed):
    seed("Vera", "Vip", email="vera@example.test", orders_spec=[(200000, "paid")])
    seed("Pete", "Prospect", email="pete@example.test")
    page = logged_in_page
    page.goto("/customers")
    page.get_by_role("tab", name="VIP 1").click()
    expect(page.get_by_role("tab", name="VIP 1")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute("href", "/customers/export?segment=vip")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("customers-vip-")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["first_name"], r["email"], r["total_spent"]) for r in rows] == [("Vera", "vera@example.test", "2000.00")]
