"""Saved views in a real browser: save the list as it is, reopen it from its tab, rename and delete it, on a
desktop and on a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, expect_customers, mark_page

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def taylors(seed):
    """Two Taylors and someone else."""
    seed("Alex", "Taylor", orders_spec=[(4000, "paid")])
    seed("Sam", "Taylor")
    seed("Pat", "Lee")


def view_tab(page: Page, name: str):
    """A tab in the "Saved views" tab list."""
    return page.get_by_role("tablist", name="Saved views").get_by_role("tab", name=name, exact=True)


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("size", SIZES)
def test_save_reopen_rename_and_delete_a_view(logged_in_page: Page, taylors, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.reload()
    # every shop starts with the Lapsed view
    expect(page.get_by_role("tablist", name="Saved views").get_by_role("tab", name=re.compile(r"^Lapsed \d+$"))
           ).to_be_visible()

    # search, sort, and save the list as it is: the form opens in place
    page.get_by_label("Search customers").fill("taylor")
    expect(page).to_have_url(re.compile(r"q=taylor"))
    if size == "phone":
        page.get_by_role("link", name="Sort by Name").click()
    else:
        page.get_by_role("columnheader", name="Name").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    mark_page(page)
    page.get_by_role("button", name="Save view").click()
    assert_no_page_load(page)
    page.get_by_label("View name").fill("Taylor family")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved the view “Taylor family”.")
    expect(page).to_have_url(re.compile(r"/customers\?view=\d+$"))
    expect(view_tab(page, "Taylor family 2")).to_have_attribute("aria-selected", "true")
    expect_customers(page, ["Alex Taylor", "Sam Taylor"])
    assert page_width(page) <= SIZES[size]["width"]

    # leave it for a segment tab, then reopen it from its tab: the search comes back with it
    page.get_by_role("tablist", name="Segments").get_by_role("tab", name="All 3").click()
    expect_customers(page, ["Alex Taylor", "Sam Taylor", "Pat Lee"])
    expect(view_tab(page, "Taylor family 2")).to_have_attribute("aria-selected", "false")
    mark_page(page)
    view_tab(page, "Taylor family 2").click()
    expect(view_tab(page, "Taylor family 2")).to_have_attribute("aria-selected", "true")
    expect_customers(page, ["Alex Taylor", "Sam Taylor"])
    expect(page.get_by_label("Search customers")).to_have_value("taylor")
    expect(page).to_have_url(re.compile(r"/customers\?view=\d+$"))
    assert_no_page_load(page)

    # rename it in place
    page.get_by_role("button", name="Rename view").click()
    name = page.get_by_label("View name")
    expect(name).to_have_value("Taylor family")
    name.fill("Lapsed")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_label("View name")).to_have_accessible_description(
        "There is a view called “Lapsed” already: choose another name")
    page.get_by_label("View name").fill("The Taylors")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Renamed the view “Taylor family” to “The Taylors”.")
    expect(view_tab(page, "The Taylors 2")).to_have_attribute("aria-selected", "true")

    # delete it, after a confirmation
    page.get_by_role("button", name="Delete view").click()
    expect(page.get_by_role("heading", name="Delete the view “The Taylors”?")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Deleted the view “The Taylors”.")
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.get_by_role("tablist", name="Saved views").get_by_role("tab")).to_have_count(1)
    expect_customers(page, ["Alex Taylor", "Sam Taylor", "Pat Lee"])


def test_a_view_is_saved_without_javascript(browser, base_url, owner, taylors):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto("/customers?q=lee")
    page.get_by_role("button", name="Save view").click()
    expect(page).to_have_url(re.compile(r"/customers/views/new\?q=lee$"))
    page.get_by_label("View name").fill("Lees")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(view_tab(page, "Lees 1")).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Delete view").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Deleted the view “Lees”.")
    context.close()
