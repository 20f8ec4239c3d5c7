"""The list on a phone-sized screen, and the customer profile."""

import re

from playwright.sync_api import Page, expect

from .conftest import data_rows, expect_customers

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def seed_list(seed) -> None:
    """A realistic mix: long names and emails, phones, addresses abroad, every segment."""
    seed("Charlotte", "Montgomery-Fairweather", email="charlotte.montgomery-fairweather@example-shop.com.au",
         phone="+61412345678", city="Wagga Wagga", state="NSW", postcode="2650",
         orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Wan", "Aziz", email="wan@example.my", whatsapp="+60123456789", phone="+60123456789",
         city="Kuala Lumpur", country="MY", orders_spec=[(2500, "paid"), (3000, "paid")])
    seed("Lou", "Landline", email="lou@example.com", phone="+61298765432", city="Sydney", state="NSW",
         orders_spec=[(4000, "paid")])
    seed("Pete", "Prospect", email="pete@example.com", company_name="Prospect Holdings Pty Ltd")


def test_list_fits_a_phone_screen(logged_in_page: Page, seed):
    """At 390 px nothing scrolls sideways, and names, tabs and search all work."""
    seed_list(seed)
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto("/customers")
    expect_customers(page, ["Charlotte Montgomery-Fairweather", "Wan Aziz", "Lou Landline", "Pete Prospect"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide at a {PHONE['width']}px viewport"
    page.screenshot(path="/tmp/e2e-list-390.png", full_page=True)

    tabs = page.get_by_role("tablist", name="Segments")
    for name in ("All 4", "VIP 1", "Returning 1", "New 1", "Prospect 1"):
        expect(tabs.get_by_role("tab", name=name, exact=True)).to_be_visible()
    tabs.get_by_role("tab", name="Prospect 1", exact=True).click()
    expect(tabs.get_by_role("tab", name="Prospect 1", exact=True)).to_have_attribute("aria-selected", "true")
    expect_customers(page, ["Pete Prospect"])
    tabs.get_by_role("tab", name="All 4", exact=True).click()
    expect_customers(page, ["Charlotte Montgomery-Fairweather", "Wan Aziz", "Lou Landline", "Pete Prospect"])

    search = page.get_by_role("searchbox", name="Search customers")
    expect(search).to_be_visible()
    search.click()
    search.press_sequentially("aziz")
    expect(page).to_have_url(re.compile(r"q=aziz"))
    expect_customers(page, ["Wan Aziz"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    search.fill("")
    expect(data_rows(page)).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    link = page.get_by_role("link", name="Charlotte Montgomery-Fairweather", exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Charlotte Montgomery-Fairweather", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_list_fits_a_laptop_screen(logged_in_page: Page, seed):
    """At 1280 px the list fits without sideways scrolling (the screenshot is kept for a human look)."""
    seed_list(seed)
    page = logged_in_page
    page.set_viewport_size(DESKTOP)
    page.goto("/customers")
    expect(data_rows(page)).to_have_count(4)
    page.screenshot(path="/tmp/e2e-list-1280.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"page is {width}px wide at a {DESKTOP['width']}px viewport"


def test_profile_from_the_list(logged_in_page: Page, seed):
    """A name link opens the profile: full name as heading; Contact, Location, History and Notes sections."""
    seed("Vera", "Vip", email="vera@example.com", phone="+61412345678", city="Hobart", state="TAS",
         postcode="7000", street="1 Salamanca Pl", orders_spec=[(60000, "paid"), (50000, "paid")])
    seed("Other", "Person")
    page = logged_in_page
    page.reload()
    page.get_by_role("link", name="Vera Vip", exact=True).click()

    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.get_by_role("heading", name="Vera Vip", level=1)).to_be_visible()
    for section in ("Contact", "Location", "History", "Notes"):
        expect(page.get_by_role("heading", name=section, exact=True, level=2)).to_be_visible()
        expect(page.get_by_role("region", name=section, exact=True)).to_be_visible()

    contact = page.get_by_role("region", name="Contact", exact=True)
    expect(contact.get_by_role("link", name="vera@example.com")).to_have_attribute(
        "href", "mailto:vera@example.com")
    expect(contact.get_by_role("link", name="WhatsApp Vera Vip")).to_have_attribute(
        "href", "https://wa.me/61412345678")

    location = page.get_by_role("region", name="Location", exact=True)
    expect(location).to_contain_text("1 Salamanca Pl")
    expect(location).to_contain_text("Hobart TAS 7000")

    history = page.get_by_role("region", name="History", exact=True)
    for label, value in (("Total orders", "2"), ("Total spent", "$1,100.00"), ("Last order", "7 Jan 2026")):
        term = history.get_by_role("term").filter(has_text=re.compile(rf"^{label}$"))
        expect(term).to_have_count(1)
        expect(term.locator("xpath=following-sibling::dd[1]")).to_have_text(value)
    orders = history.get_by_role("table")
    expect(orders.get_by_role("row")).to_have_count(3)  # header and two orders
    expect(orders).to_contain_text("$600.00")
    expect(orders).to_contain_text("$500.00")

    expect(page.get_by_role("region", name="Notes", exact=True)).to_contain_text("No notes yet.")

    page.get_by_role("link", name="← Customers").click()
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
