"""In the browser: a visitor follows the store with an emailed code; the owner finds the new prospect."""

import re

from playwright.sync_api import Page, expect

from ..mailserver import last_code, wrong_code
from .conftest import data_rows, log_in


def test_visitor_follows_and_owner_sees_the_prospect(page: Page, owner, mailbox):
    page.goto("/follow")
    expect(page.get_by_role("heading", name="Follow Koala Goods", level=1)).to_be_visible()
    page.get_by_label("Email").fill("Shopper@Example.test")
    page.get_by_role("button", name="Send code").click()

    code_box = page.get_by_label("Verification code")
    expect(code_box).to_be_visible()
    expect(code_box).to_have_attribute("inputmode", "numeric")
    expect(code_box).to_have_attribute("autocomplete", "one-time-code")
    expect(page.get_by_text("We sent a 6-digit code to shopper@example.test")).to_be_visible()
    code = last_code(mailbox)

    code_box.fill(wrong_code(code))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code isn't right. You have 4 tries left.")).to_be_visible()
    expect(page.get_by_label("Verification code")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="You're following Koala Goods")).to_be_visible()

    page.goto("/login")
    log_in(page)
    expect(page).to_have_url(re.compile(r"/customers$"))
    page.get_by_role("tablist", name="Segments").get_by_role("tab", name=re.compile(r"^Prospect")).click()
    expect(page.get_by_role("tab", name=re.compile(r"^Prospect"))).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name=re.compile(r"^Prospect"))).to_have_accessible_name(
        re.compile(r"Prospect\s+1$"))
    expect(data_rows(page).filter(has_text="shopper@example.test")).to_have_count(1)


def test_a_dead_code_offers_a_new_one(page: Page, mailbox):
    page.goto("/follow")
    page.get_by_label("Email").fill("again@example.test")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    code = last_code(mailbox)
    for _ in range(5):
        page.get_by_label("Verification code").fill(wrong_code(code))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Too many wrong tries: this code no longer works.")).to_be_visible()

    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_label("Verification code")).to_have_value("")
    assert len(mailbox.messages) == 2
    page.get_by_label("Verification code").fill(last_code(mailbox))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="You're following My shop")).to_be_visible()
