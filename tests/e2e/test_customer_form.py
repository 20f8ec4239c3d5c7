"""Adding and editing customers in a real browser: generators, live checks, the Street combobox, errors, history."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from crm.extensions import db
from crm.models import Customer
from crm.services.shop import get_settings

from .conftest import assert_no_page_load, mark_page


def switch_on(live_app, **values):
    """Turn shop features on (Business to Business, Membership ...) as Settings would."""
    with live_app.app_context():
        settings = get_settings()
        for key, value in values.items():
            setattr(settings, key, value)
        db.session.commit()
        db.session.remove()


def stored(live_app, customer_id):
    """The saved customer with its address and membership loaded."""
    with live_app.app_context():
        customer = db.session.get(Customer, customer_id)
        _ = (customer.address, customer.membership)
        db.session.expunge_all()
        db.session.remove()
        return customer


def customer_count(live_app) -> int:
    """How many customers the shop has."""
    with live_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.remove()
        return count


def test_add_customer_with_generated_password_id_and_chosen_address(logged_in_page: Page, live_app):
    switch_on(live_app, b2b_enabled=True, membership_enabled=True, membership_prefix="KG")
    page = logged_in_page
    page.get_by_role("tab", name="Add customer").click()
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    expect(page.get_by_role("tab", name="Add customer")).to_have_attribute("aria-selected", "true")

    page.get_by_label("First name").fill("Anna")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_label("Email", exact=True).fill("anna@example.test")
    page.get_by_label("Contact number").fill("0412 345 678")
    page.get_by_label("Company name").fill("Koala Co")
    page.get_by_label("ABN").fill("51 824 753 556")

    mark_page(page)
    page.get_by_role("button", name="Generate new password").click()
    password = page.get_by_label("Customer password")
    expect(password).to_have_value(re.compile(r"^[A-Za-z2-9]{16}$"))
    expect(password).to_have_attribute("type", "text")  # shown in clear to pass on
    page.get_by_role("button", name="Copy password").click()
    expect(page.get_by_text("Copied", exact=True)).to_be_visible()
    generated = password.input_value()

    page.get_by_role("button", name="Generate new ID").click()
    membership_id = page.get_by_label("Membership ID")
    expect(membership_id).to_have_value(re.compile(r"^KG\d{9}$"))
    generated_id = membership_id.input_value()
    assert_no_page_load(page)  # htmx filled the fields in place
    page.get_by_label("Expiry date").fill("2030-06-30")

    street = page.get_by_role("combobox", name="Street")
    street.press_sequentially("12 Smith St parra", delay=20)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options.first).to_be_visible()
    expect(street).to_have_attribute("aria-expanded", "true")
    wanted = page.get_by_role("option", name="12 Smith St, Parramatta NSW 2150")
    expect(wanted).to_be_visible()
    position = [o.inner_text() for o in options.all()].index("12 Smith St, Parramatta NSW 2150")
    for _ in range(position + 1):
        street.press("ArrowDown")
    expect(wanted).to_have_attribute("aria-selected", "true")
    street.press("Enter")  # chooses; doesn't submit the form
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(street).to_have_value("12 Smith St")
    expect(page.get_by_label("Suburb / City")).to_have_value("Parramatta")
    expect(page.get_by_label("State")).to_have_value("NSW")
    expect(page.get_by_label("Postcode")).to_have_value("2150")
    expect(page.get_by_label("Country")).to_have_value("AU")
    expect(page).to_have_url(re.compile(r"/customers/new$"))

    page.get_by_label("Email marketing").check()
    page.get_by_role("button", name="Save customer").click()

    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_role("heading", name="Anna Smith", level=1)).to_be_visible()
    expect(page.get_by_text(generated_id)).to_be_visible()
    expect(page.get_by_text("51 824 753 556")).to_be_visible()
    expect(page.get_by_text("Parramatta NSW 2150")).to_be_visible()
    customer = stored(live_app, int(page.url.rsplit("/", 1)[1]))
    assert customer.phone == "+61412345678" and customer.email_marketing
    assert customer.membership.membership_id == generated_id
    with live_app.app_context():
        assert check_password_hash(customer.password_hash, generated)
    assert generated not in page.content()


def test_street_combobox_keyboard(logged_in_page: Page):
    page = logged_in_page
    page.goto("/customers/new")
    street = page.get_by_role("combobox", name="Street")
    street.press_sequentially("parramat", delay=20)
    expect(page.get_by_role("listbox")).to_be_visible()
    street.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(street).to_have_attribute("aria-expanded", "false")
    street.press("ArrowDown")  # opens again on the same suggestions
    expect(page.get_by_role("listbox")).to_be_visible()
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    # typing on: the list follows the newest text only
    street.fill("")
    street.press_sequentially("kuala lump", delay=10)
    expect(page.get_by_role("option").first).to_contain_text("Kuala Lumpur")
    page.get_by_role("option").first.click()
    expect(page.get_by_label("Country")).to_have_value("MY")
    expect(page.get_by_label("Postcode")).to_have_value(re.compile(r"^\d{5}$"))


def test_errors_keep_every_value(logged_in_page: Page, live_app):
    page = logged_in_page
    page.goto("/customers/new")
    page.get_by_label("First name").fill("Ben")
    page.get_by_label("Last name").fill("Ng")
    page.get_by_label("Email", exact=True).fill("ben@")
    page.get_by_label("Contact number").fill("0412 345")
    page.get_by_label("Customer password").fill("typed-secret-1")
    page.get_by_label("Street").fill("5 King St")
    page.get_by_label("Suburb / City").fill("Newtown")
    page.get_by_label("State").fill("NSW")
    page.get_by_label("Postcode").fill("20")
    page.get_by_role("button", name="Save customer").click()

    expect(page.get_by_role("alert")).to_contain_text("nothing was saved yet")
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("There must be something after the @-sign.")).to_be_visible()
    expect(page.get_by_label("Contact number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("This phone number is not possible")).to_be_visible()
    expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    for label, value in (("First name", "Ben"), ("Last name", "Ng"), ("Customer password", "typed-secret-1"),
                         ("Street", "5 King St"), ("Suburb / City", "Newtown"), ("Postcode", "20")):
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    assert customer_count(live_app) == 0

    page.get_by_label("Email", exact=True).fill("ben@example.test")
    page.get_by_label("Contact number").fill("0412 345 678")
    page.get_by_label("Postcode").fill("2042")
    page.get_by_role("button", name="Save customer").click()
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    assert customer_count(live_app) == 1


def test_live_duplicate_warnings_link_to_the_customer(logged_in_page: Page, seed):
    bea = seed("Bea", "Jones", email="bea@example.test", phone="+61412111222")
    page = logged_in_page
    page.goto("/customers/new")
    page.get_by_label("Email", exact=True).fill("BEA@example.test")
    expect(page.get_by_text("A customer with this email already exists")).to_be_visible()
    expect(page.locator("#email-check").get_by_role("link", name="Bea Jones")).to_have_attribute(
        "href", f"/customers/{bea}")
    page.get_by_label("WhatsApp number").fill("0412 111 222")
    expect(page.locator("#whatsapp-check")).to_contain_text("Another customer has this number")
    page.get_by_label("Email", exact=True).fill("bea.new@example.test")
    expect(page.locator("#email-check")).to_be_empty()


def test_double_click_on_save_creates_one_customer(logged_in_page: Page, live_app):
    page = logged_in_page
    page.goto("/customers/new")
    page.get_by_label("First name").fill("Dee")
    page.get_by_role("button", name="Save customer").dblclick()
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    assert customer_count(live_app) == 1


def test_edit_keeps_history(logged_in_page: Page, seed):
    customer_id = seed("Cara", "Old", email="cara@example.test", city="Parramatta", state="NSW",
                       postcode="2150", street="1 Church St")
    page = logged_in_page
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/edit$"))
    expect(page.get_by_label("Customer password")).to_have_value("")
    page.get_by_label("Last name").fill("New")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Customer saved")
    expect(page.get_by_role("heading", name="Cara New", level=1)).to_be_visible()
    changes = page.get_by_role("region", name="Changes")
    expect(changes.get_by_role("row").filter(has_text="Last name")).to_contain_text("Old")
    expect(changes.get_by_role("row").filter(has_text="Last name")).to_contain_text("New")
    expect(changes).to_contain_text("owner@shop.test")


@pytest.mark.parametrize("size", ({"width": 1280, "height": 700}, {"width": 390, "height": 700}), ids=("desktop", "phone"))
@pytest.mark.parametrize("path", ("/customers/new", "/settings"))
def test_a_long_forms_save_button_stays_in_reach(logged_in_page: Page, size, path):
    """The bar with the save button sticks to the bottom of the screen while the form runs below it."""
    page = logged_in_page
    page.set_viewport_size(size)
    page.goto(path)
    save = page.get_by_role("button", name=re.compile(r"^Save (customer|settings)$"))
    box = save.bounding_box()
    assert box["y"] + box["height"] <= size["height"], "the save button is below the screen"
    assert page.evaluate("document.documentElement.scrollHeight") > size["height"], "the form is long"
    save_bar = page.locator(".sticky-actions").first
    expect(save_bar).to_be_in_viewport()
