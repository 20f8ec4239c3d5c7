"""Language and theme in a real browser, at 1280 and 390 px: "Theme" on the account page repaints every page
dark or light whatever the system prefers (and "System" follows it), and "Language" turns the dashboard,
including the words its scripts write, into Bahasa Melayu."""

import pytest
from playwright.sync_api import Page, expect

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DARK_BACKGROUND, LIGHT_BACKGROUND = "rgb(14, 18, 23)", "rgb(246, 247, 249)"


def page_background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def choose(page: Page, language: str | None = None, theme: str | None = None) -> None:
    """Pick on the account page and save. The fields are named in the page's language ("Language" or
    "Bahasa"), so they are found by the form they are in."""
    page.goto("/account")
    form = page.locator("form[action='/account/display']")
    if language:
        form.get_by_role("combobox").first.select_option(label=language)
    if theme:
        form.get_by_role("combobox").last.select_option(label=theme)
    form.get_by_role("button").click()


@pytest.mark.parametrize("size", SIZES)
def test_theme_dark_light_and_system(logged_in_page: Page, size):
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme="light")
    page.goto("/customers")
    assert page_background(page) == LIGHT_BACKGROUND  # "System", and the system is light
    choose(page, theme="Dark")
    expect(page.get_by_text("Display saved.")).to_be_visible()
    for url in ("/customers", "/insights", "/settings"):
        page.goto(url)
        assert page_background(page) == DARK_BACKGROUND, url
    page.emulate_media(color_scheme="dark")
    choose(page, theme="Light")
    page.goto("/customers")
    assert page_background(page) == LIGHT_BACKGROUND  # chosen light beats a dark system
    choose(page, theme="System")
    page.goto("/customers")
    assert page_background(page) == DARK_BACKGROUND  # and System follows it again


@pytest.mark.parametrize("size", SIZES)
def test_bahasa_melayu_everywhere_and_back(logged_in_page: Page, seed, size):
    seed("Aida", "Rahman", email="aida@example.com")
    page = logged_in_page
    page.set_viewport_size(SIZES[size])
    choose(page, language="Bahasa Melayu")
    expect(page.get_by_text("Paparan disimpan.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ms")
    page.get_by_role("navigation", name="Utama").get_by_role("link", name="Pelanggan").click()
    expect(page.get_by_role("heading", name="Pelanggan", level=1)).to_be_visible()
    page.get_by_role("checkbox", name="Pilih Aida Rahman").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("1 dipilih")  # written by the list's script
    choose(page, language="English")
    expect(page.get_by_text("Display saved.")).to_be_visible()
    page.goto("/customers")
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
