"""The README's screenshots: the customer list and a profile, in English and Bahasa Melayu, light and dark.

    .venv/bin/python scripts/docs_screenshots.py URL EMAIL PASSWORD [--out docs/screenshots]

URL is a running dashboard (e.g. `make demo N=3000` then `make run`); EMAIL and PASSWORD an owner's account,
whose "Language" and "Theme" the script sets in turn through the account page and puts back to English and
System at the end. Chromium comes from Debian (/usr/bin/chromium) or $CRM_CHROMIUM.
"""

import argparse
import os
import shutil
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

LANGUAGES = ("en", "ms")
THEMES = ("light", "dark")


def choose(page: Page, language: str, theme: str) -> None:
    """Language and Theme on the account page by their values, saved (the fields are found by their form:
    their names and options change with the language)."""
    page.goto("/account")
    form = page.locator("form[action='/account/display']")
    form.get_by_role("combobox").first.select_option(value=language)
    form.get_by_role("combobox").last.select_option(value=theme)
    form.get_by_role("button").click()
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("email")
    parser.add_argument("password")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=options.url, viewport={"width": 1280, "height": 800})
        page.goto("/login")
        page.locator("input[type=email]").fill(options.email)
        page.locator("input[type=password]").fill(options.password)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto("/customers?segment=vip&sort=spent&dir=desc")
        profile = page.locator("table.customer-list tbody a").first.get_attribute("href")
        for code in LANGUAGES:
            for key in THEMES:
                choose(page, code, key)
                for name, url in (("list", "/customers"), ("profile", profile)):
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=options.out / f"{name}-{code}-{key}.png")
        choose(page, "en", "system")
        browser.close()


if __name__ == "__main__":
    main()
