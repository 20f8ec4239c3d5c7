"""Importing customers in a real browser: upload, change a column's mapping, check, import, watch the progress."""

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm.imports import jobs

from .conftest import assert_no_page_load, data_rows, expect_customers, mark_page

FILE = ("Given name,Surname,E-mail,Ph,Town,State,Zip\n"
        "Anna,Smith,anna@example.com,0412 000 111,Parramatta,NSW,2150\n"
        "Bob,Brown,bob@example.com,0412 000 222,Fitzroy,VIC,3065\n"
        "Cara,Bad,cara@,,,,\n"
        "Dan,Dial,dan@example.com,0412,,,\n")


@pytest.fixture(autouse=True)
def uploads(live_app, tmp_path, monkeypatch):
    """Uploads in a temporary folder for this test."""
    monkeypatch.setitem(live_app.config, "IMPORT_DIR", str(tmp_path / "imports"))


def figure(page: Page, label: str):
    """The number shown under one of the check's figures ("To create" ...)."""
    return page.locator(".import-figures > div").filter(has=page.get_by_text(label, exact=True)).locator("dd")


def upload(page: Page, tmp_path: Path, text: str | bytes, name: str = "customers.csv") -> None:
    """Choose a file in "CSV file" and press "Upload and check"."""
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    page.goto("/customers/import")
    expect(page.get_by_role("heading", name="Import customers", level=1)).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()


def test_upload_map_check_import_and_find_the_customers(logged_in_page: Page, seed, tmp_path, monkeypatch, request):
    seed("Bob", "Brown", email="BOB@example.com")
    page = logged_in_page
    upload(page, tmp_path, FILE)
    expect(page).to_have_url(re.compile(r"/customers/import/[\w-]+$"))

    # The guesses: names, email, town and zip are recognized; "Ph" isn't, so it is left out at first.
    expect(page.get_by_label("Map Given name")).to_have_value("first_name")
    expect(page.get_by_label("Map E-mail")).to_have_value("email")
    expect(page.get_by_label("Map Zip")).to_have_value("postcode")
    expect(page.get_by_label("Map Ph")).to_have_value("")
    expect(figure(page, "To create")).to_have_text("2")
    expect(figure(page, "To update")).to_have_text("1")
    expect(figure(page, "Invalid rows")).to_have_text("1")

    # Mapping "Ph" checks the file again in place: Dan's number is impossible, so he joins the invalid rows.
    mark_page(page)
    page.get_by_label("Map Ph").select_option(label="Contact number")
    expect(figure(page, "To create")).to_have_text("1")
    expect(figure(page, "To update")).to_have_text("1")
    expect(figure(page, "To skip")).to_have_text("0")
    expect(figure(page, "Invalid rows")).to_have_text("2")
    assert_no_page_load(page)
    expect(page).to_have_url(re.compile(r"map_3=phone"))
    problems = page.locator(".import-problems")
    expect(problems.get_by_role("row").filter(has_text="There must be something after the @-sign.")).to_contain_text("4")
    expect(problems.get_by_role("row").filter(has_text="This phone number is not possible")).to_contain_text("Ph")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download invalid rows").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "Given name,Surname,E-mail,Ph,Town,State,Zip,error"
    assert "Dan,Dial,dan@example.com,0412,,,,Ph: This phone number is not possible" in text

    # Hold the write back until the progress page has been seen unfinished, so it is seen polling.
    real_write, may_write = jobs.imports.write, threading.Event()
    request.addfinalizer(may_write.set)  # a failing test doesn't leave the import's thread waiting

    def held_write(*args, **kwargs):
        """The real write, once the test lets it go."""
        assert may_write.wait(timeout=30), "the test never let the import write"
        return real_write(*args, **kwargs)

    monkeypatch.setattr(jobs.imports, "write", held_write)
    page.get_by_role("button", name="Import 2 customers").click()
    expect(page).to_have_url(re.compile(r"/customers/import/[\w-]+/progress$"))
    bar = page.get_by_role("progressbar", name="Import progress")
    expect(bar).to_be_visible()
    assert int(bar.get_attribute("aria-valuenow")) < 100
    mark_page(page)
    may_write.set()
    expect(page.get_by_role("status").filter(has_text="Imported:")).to_have_text(
        "Imported: 1 created, 1 updated, 0 skipped")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    assert_no_page_load(page)  # the polling swapped the result in

    page.get_by_role("link", name="Back to the customer list").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect_customers(page, ["Anna Smith", "Bob Brown"])
    expect(data_rows(page).filter(has_text="Anna Smith")).to_contain_text("Parramatta")


def test_a_bad_file_is_refused_next_to_the_field(logged_in_page: Page, tmp_path):
    page = logged_in_page
    upload(page, tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv")
    field = page.get_by_label("CSV file")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("This is a PNG image, not a CSV file.")).to_be_visible()
    upload(page, tmp_path, "company\nAcme Pty Ltd\n")
    expect(page.get_by_role("alert")).to_have_text(
        "No column is imported as a name, an email or a phone number: choose the columns that hold them.")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
