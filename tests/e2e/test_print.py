"""Printing a profile and the list in a real Chromium (print media, and a PDF as the print dialog makes it):
no navigation, buttons or forms on paper, nothing cut short, web addresses written out."""

import pytest
from playwright.sync_api import Page, expect

LONG_EMAIL = "rachel.fletcher.pvst30@example.com"


@pytest.fixture
def customer_id(seed):
    return seed("Rachel", "Fletcher", email=LONG_EMAIL, phone="+61412345678", city="Parramatta", state="NSW",
                street="12 Smith St", postcode="2150", orders_spec=[(60000, "paid")])


def printed(page: Page, path: str) -> None:
    page.goto(path)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi


@pytest.mark.parametrize("path", ("/customers", "/customers/{id}"))
def test_paper_shows_the_content_and_no_controls(logged_in_page: Page, customer_id, path, tmp_path):
    page = logged_in_page
    printed(page, path.format(id=customer_id))
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    for button in page.get_by_role("button").all():
        expect(button).to_be_hidden()
    expect(page.get_by_role("searchbox")).to_have_count(0)  # forms are for the screen
    expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
    assert page.get_by_text(LONG_EMAIL).evaluate("e => e.scrollWidth <= e.clientWidth"), "the email is cut"
    pdf = page.pdf(path=str(tmp_path / "page.pdf"), format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000


def test_the_profile_on_paper_keeps_its_figures_and_address(logged_in_page: Page, customer_id):
    page = logged_in_page
    printed(page, f"/customers/{customer_id}")
    expect(page.get_by_role("heading", name="Rachel Fletcher")).to_be_visible()
    expect(page.locator("address")).to_have_text("12 Smith StParramatta NSW 2150Australia")
    expect(page.get_by_role("heading", name="Delete or anonymize")).to_be_hidden()
    expect(page.get_by_text("$600.00").first).to_be_visible()
