"""The list at a glance in a real browser, at 1280 and 390 px: one line per customer on a wide screen with the
email whole, a card of at most 120 px on a phone with its fields in the same places on every card, and
"Columns" choosing what shows, kept across a reload and the next visit."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import assert_no_page_load, data_rows, mark_page

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG_EMAIL = "rachel.fletcher.pvst30@example.com"


@pytest.fixture
def customers(seed):
    """Customers with long names, a long email and places, a MY address, one with no number or place."""
    seed("Rachel", "Fletcher", email=LONG_EMAIL, phone="+61412345678", city="Parramatta", state="NSW",
         orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Muhammad Setya", "bin Ade Kurniawan", email="m.setya@example.com", whatsapp="+60123456789",
         city="Bandar Baru Kinrara", state="Selangor", country="MY", company_name="Lu Niaga Sdn. Bhd.",
         orders_spec=[(2500, "paid")])
    seed("Pete", "Prospect")


def column_headers(page: Page) -> list[str]:
    return [" ".join(text.split()).strip(" ↕↑↓") for text in
            page.locator("table.customer-list thead th:not(.select-cell)").all_text_contents()]


@pytest.mark.parametrize("size", SIZES)
def test_columns_chosen_show_at_once_and_stay(logged_in_page: Page, customers, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.goto("/customers?sort=name&dir=asc")
    mark_page(page)
    page.get_by_text("Columns", exact=True).click()
    panel = page.get_by_role("group", name="Show these columns")
    expect(panel.get_by_role("checkbox", name="Email", exact=True)).to_be_checked()
    panel.get_by_role("checkbox", name="Email", exact=True).uncheck()
    panel.get_by_role("checkbox", name="Company", exact=True).check()
    page.get_by_role("button", name="Show columns").click()
    expect(page.get_by_role("button", name="Show columns")).to_be_hidden()  # the panel closes
    assert_no_page_load(page)
    assert "Email" not in column_headers(page) and "Company" in column_headers(page)
    expect(page).to_have_url("/customers?sort=name&dir=asc")  # the same list, its order kept
    page.reload()
    assert "Email" not in column_headers(page) and "Company" in column_headers(page)


def test_a_wide_screen_reads_one_line_per_customer_with_the_email_whole(logged_in_page: Page, customers):
    page = logged_in_page
    page.set_viewport_size(SIZES["desktop"])
    page.goto("/customers")
    rows = data_rows(page)
    expect(rows).to_have_count(3)
    heights = [box["height"] for box in (rows.nth(i).bounding_box() for i in range(3))]
    assert max(heights) < 48, heights  # one line each (a 44 px WhatsApp circle is the tallest thing)
    email = page.get_by_role("link", name=LONG_EMAIL)
    assert email.evaluate("e => e.scrollWidth <= e.clientWidth"), "the email is cut"
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table is wider than the page"
    # a name cut short is whole on hover
    name = page.get_by_role("link", name="Muhammad Setya bin Ade Kurniawan", exact=True)
    expect(name).to_have_attribute("title", "Muhammad Setya bin Ade Kurniawan")
    # sortable headers say so: each has its arrow
    expect(page.get_by_role("columnheader", name="Total spent")).to_contain_text("↕")


def test_a_phone_shows_compact_cards_with_fields_in_the_same_places(logged_in_page: Page, customers):
    page = logged_in_page
    page.set_viewport_size(SIZES["phone"])
    page.goto("/customers?sort=name&dir=asc")
    rows = data_rows(page)
    expect(rows).to_have_count(3)
    boxes = [rows.nth(i).bounding_box() for i in range(3)]
    assert all(box["height"] <= 120 for box in boxes), [box["height"] for box in boxes]
    # the total spent sits at the same place on every card, whatever the card has or lacks
    spent = [rows.nth(i).locator(".col-spent").bounding_box() for i in range(3)]
    offsets = {round(s["y"] - b["y"]) for s, b in zip(spent, boxes)}
    assert len(offsets) == 1, offsets
    expect(rows.first.locator(".col-email")).to_be_hidden()  # the email is on the profile, not the card
    expect(rows.first.get_by_role("link", name="Muhammad Setya bin Ade Kurniawan", exact=True)).to_be_visible()
