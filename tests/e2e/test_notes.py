"""Private notes on a profile in a real browser: add, edit, cancel, delete, all without a page load."""

from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, mark_page


def test_add_edit_and_delete_a_note(logged_in_page: Page, seed):
    page = logged_in_page
    customer_id = seed("Nora", "Notes")
    page.goto(f"/customers/{customer_id}")
    notes = page.locator("#notes")
    expect(notes.get_by_text("No notes yet.")).to_be_visible()
    mark_page(page)

    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Write the note first")).to_be_visible()
    expect(page.get_by_label("Add a note")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Add a note").fill("Prefers <b>pickup</b> on Fridays")
    page.get_by_role("button", name="Add note").click()
    note = notes.get_by_role("listitem")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Prefers <b>pickup</b> on Fridays")  # shown as typed, not as markup
    expect(note).to_contain_text("owner@shop.test")
    expect(page.get_by_label("Add a note")).to_have_value("")

    page.get_by_label("Add a note").fill("Allergic to wool")
    page.get_by_role("button", name="Add note").click()
    expect(notes.get_by_role("listitem")).to_have_count(2)
    expect(notes.get_by_role("listitem").first).to_contain_text("Allergic to wool")  # newest first

    first = notes.get_by_role("listitem").first
    first.get_by_role("link", name="Edit this note").click()
    editor = page.get_by_label("Edit note")
    expect(editor).to_have_value("Allergic to wool")
    editor.fill("")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Write the note first")).to_be_visible()
    page.get_by_label("Edit note").fill("Allergic to wool and nickel")
    page.get_by_role("button", name="Save note").click()
    expect(notes.get_by_role("listitem").first).to_contain_text("Allergic to wool and nickel")
    expect(notes.get_by_role("listitem").first).to_contain_text("edited")

    notes.get_by_role("listitem").first.get_by_role("link", name="Edit this note").click()
    page.get_by_label("Edit note").fill("never saved")
    page.get_by_role("link", name="Cancel").click()
    expect(notes.get_by_role("listitem").first).to_contain_text("Allergic to wool and nickel")

    page.once("dialog", lambda dialog: dialog.accept())
    notes.get_by_role("listitem").first.get_by_role("button", name="Delete this note").click()
    expect(notes.get_by_role("listitem")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.dismiss())
    notes.get_by_role("listitem").first.get_by_role("button", name="Delete this note").click()
    expect(notes.get_by_role("listitem")).to_have_count(1)  # dismissed: kept
    page.once("dialog", lambda dialog: dialog.accept())
    notes.get_by_role("listitem").first.get_by_role("button", name="Delete this note").click()
    expect(notes.get_by_text("No notes yet.")).to_be_visible()
    assert_no_page_load(page)

    page.reload()
    expect(notes.get_by_text("No notes yet.")).to_be_visible()
