"""Bulk actions in a real browser, at 1280 and 390 px: tick the page, select all matching a search, add a tag;
delete all matching through the task worker with its progress page; and the page's box without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Customer, DeletedCustomer
from crm.services import tags

from ..conftest import OWNER_PASSWORD
from ..factories import make_customer

SIZES = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


def seed_buyers(live_app, n: int, *, with_orders: int = 0) -> None:
    """n subscribed customers called "<i> Buyer" (the first `with_orders` with an order), and one other."""
    with live_app.app_context():
        for i in range(n):
            customer = make_customer(f"Bo{i:02d}", "Buyer", email=f"bo{i}@example.test",
                                     orders_spec=[(5000, "paid")] if i < with_orders else ())
            customer.email_marketing = True
        make_customer("Ola", "Other", email="ola@example.test")
        db.session.commit()
        db.session.remove()


def fits_the_screen(page: Page, width: int) -> None:
    """Nothing scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SIZES)
def test_select_all_matching_a_search_and_add_a_tag(logged_in_page: Page, live_app, size):
    seed_buyers(live_app, 30)
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.goto("/customers")
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar).to_be_hidden()  # nothing selected yet
    page.get_by_role("searchbox", name="Search customers").fill("buyer")
    expect(page.get_by_role("tab", name="All 30")).to_be_visible()

    page.get_by_role("checkbox", name="Select Bo29 Buyer").check()
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("1 selected")
    expect(page.get_by_role("checkbox", name="Select all 30 matching")).to_be_hidden()
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(bar).to_contain_text("25 selected")
    page.get_by_role("checkbox", name="Select all 30 matching").check()
    expect(bar).to_contain_text("30 selected")
    fits_the_screen(page, SIZES[size]["width"])
    page.screenshot(path=f"/tmp/e2e-bulk-selected-{size}.png")

    bar.get_by_role("button", name="Add tag").click()
    page.get_by_label("Tag").fill("Wholesale")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Add tag Wholesale to 30 customers?")).to_be_visible()
    page.get_by_role("button", name="Add tag").click()
    expect(page).to_have_url(re.compile(r"/customers\?q=buyer$"))
    expect(page.get_by_role("status")).to_contain_text("Added tag Wholesale to 30 customers.")
    with live_app.app_context():
        assert tags.find("Wholesale").customers == 30
        db.session.remove()


@pytest.mark.parametrize("size", SIZES)
def test_delete_all_matching_on_the_task_worker_with_its_progress(logged_in_page: Page, live_app, monkeypatch,
                                                                  size):
    monkeypatch.setitem(live_app.config, "BULK_QUEUE_OVER", 10)
    seed_buyers(live_app, 28, with_orders=2)
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.goto("/customers?q=buyer")
    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("checkbox", name="Select all 28 matching").check()
    page.get_by_role("form", name="Bulk actions").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete 28 customers?")).to_be_visible()
    expect(page.get_by_text("2 of them have orders and are kept")).to_be_visible()
    fits_the_screen(page, SIZES[size]["width"])
    page.get_by_role("button", name="Delete").click()

    expect(page).to_have_url(re.compile(r"/customers/bulk/jobs/\d+$"))
    expect(page.get_by_role("heading", name="Done")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Bulk action progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text("Deleted 26 customers. They are in Recently deleted for 30 days. 2 with orders were "
                            "kept")).to_be_visible()
    page.screenshot(path=f"/tmp/e2e-bulk-done-{size}.png")
    page.get_by_role("link", name="Back to the customer list").click()
    expect(page).to_have_url(re.compile(r"/customers\?q=buyer$"))
    expect(page.get_by_role("tab", name="All 2")).to_be_visible()
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 26
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 3
        db.session.remove()


def test_the_page_box_works_without_javascript(browser, base_url, owner, live_app):
    seed_buyers(live_app, 3)
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/customers?q=buyer")
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar).to_be_visible()  # always there without JavaScript
    page.get_by_role("checkbox", name="Select all on this page").check()
    bar.get_by_role("button", name="Turn off email marketing").click()
    expect(page.get_by_role("heading", name="Turn off email marketing for 3 customers?")).to_be_visible()
    page.get_by_role("button", name="Turn off email marketing").click()
    expect(page.get_by_role("status")).to_contain_text("Turned off email marketing for 3 customers.")
    context.close()
