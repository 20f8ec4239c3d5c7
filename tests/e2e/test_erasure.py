"""Deleting and anonymizing customers through the profile's dialogs, in a real browser."""

import re

from playwright.sync_api import Page, expect


def test_delete_a_customer_without_orders(logged_in_page: Page, seed):
    customer_id = seed("Dora", "Delete", email="dora@example.test")
    page = logged_in_page
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("button", name="Delete customer").click()
    dialog = page.get_by_role("dialog", name="Delete Dora Delete?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("to Recently deleted")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))

    page.get_by_role("button", name="Delete customer").click()
    page.get_by_role("dialog", name="Delete Dora Delete?").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.get_by_role("status")).to_contain_text("Deleted Dora Delete")
    expect(page.get_by_text("No customers yet")).to_be_visible()

    # Undo, in the message, puts her back at once, on her profile.
    page.get_by_role("status").get_by_role("button", name="Undo").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.get_by_role("status")).to_contain_text("Restored Dora Delete")
    expect(page.get_by_role("heading", name="Dora Delete", level=1)).to_be_visible()


def test_delete_then_restore_from_recently_deleted(logged_in_page: Page, seed):
    customer_id = seed("Rita", "Restore", email="rita@example.test", city="Parramatta", state="NSW",
                       postcode="2150")
    seed("Sam", "Stays", email="sam@example.test")
    page = logged_in_page
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("button", name="Delete customer").click()
    page.get_by_role("dialog", name="Delete Rita Restore?").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted Rita Restore")
    expect(page.get_by_role("tab", name="All 1")).to_be_visible()
    expect(page.get_by_role("link", name="Rita Restore")).to_have_count(0)

    page.get_by_role("link", name="Recently deleted").click()
    expect(page).to_have_url(re.compile(r"/customers/deleted$"))
    expect(page.get_by_role("heading", name="Recently deleted", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="rita@example.test")).to_be_visible()
    page.get_by_role("button", name="Restore Rita Restore").click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.get_by_role("status")).to_contain_text("Restored Rita Restore")
    expect(page.get_by_role("region", name="Changes")).to_contain_text("Restored")
    page.get_by_role("link", name="Customers", exact=True).first.click()
    expect(page.get_by_role("tab", name="All 2")).to_be_visible()
    expect(page.get_by_role("link", name="Rita Restore")).to_be_visible()
    page.goto("/customers/deleted")
    expect(page.get_by_text("No recently deleted customers")).to_be_visible()


def test_customer_with_orders_cannot_be_deleted_but_can_be_anonymized(logged_in_page: Page, seed):
    customer_id = seed("Alan", "Anon", email="alan@example.test", phone="+61412345678", city="Westmead",
                       state="NSW", postcode="2145", orders_spec=[(5000, "paid"), (7000, "paid")])
    page = logged_in_page
    page.goto(f"/customers/{customer_id}")
    expect(page.get_by_role("button", name="Delete customer")).to_be_disabled()
    expect(page.get_by_text("Customers with orders can't be deleted")).to_be_visible()

    page.get_by_role("button", name="Anonymize").click()
    dialog = page.get_by_role("dialog", name="Anonymize Alan Anon?")
    expect(dialog).to_contain_text("can't be undone")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_label("Type Alan Anon to confirm").fill("Alan")
    dialog.get_by_role("button", name="Anonymize").click()
    # A wrong name is refused on the confirmation page, and nothing changed.
    expect(page.get_by_role("alert")).to_contain_text("type Alan Anon exactly as shown to confirm")
    expect(page.get_by_label("Type Alan Anon to confirm")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Type Alan Anon to confirm").fill("alan anon")
    page.get_by_role("button", name="Anonymize").click()

    expect(page.get_by_role("status")).to_contain_text("Customer anonymized")
    expect(page.get_by_role("heading", name="Anonymized customer", level=1)).to_be_visible()
    expect(page.get_by_text("alan@example.test")).to_have_count(0)
    expect(page.get_by_text("Westmead")).to_have_count(0)
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("$120.00")).to_be_visible()  # orders and totals stay
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("region", name="Changes")).to_contain_text("Anonymized")
