"""Other shops' customer exports import as they are: Shopify's and WooCommerce's layouts map without the owner
choosing anything, and their phones, second street lines, notes, SMS consent and nameless rows arrive."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm import imports
from crm.extensions import db
from crm.models import AuditEvent, Customer, Note

from .html import parse
from .test_import_pages import count_customers, text_of, uploaded

DATA = Path(__file__).parent / "data"
SHOPIFY = (DATA / "shopify_customers.csv").read_bytes()
WOOCOMMERCE = (DATA / "woocommerce_customers.csv").read_bytes()
CHLOE_NOTE = "Prefers afternoon delivery, leave it at the side gate.\nAllergic to lavender."
SITI_NOTE = 'Asked for "gift wrap" on every order, even small ones'
LEFT_OUT = ("Columns left out: “Customer ID”, “Default Address Phone”, “Total Spent”, “Total Orders”, "
            "“Tax Exempt”.")


@pytest.fixture(autouse=True)
def import_settings(app, tmp_path):
    """Uploads in a temporary folder; checks and imports run inside the request."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    return app


def header_of(data: bytes) -> list[str]:
    """A sample file's header row."""
    return imports.read_csv(data).header


def check_page(client, data: bytes, filename: str):
    """Upload a file and open its check page with the guessed mapping: (token, parsed page, page text)."""
    token = uploaded(client, data, filename)
    html = client.get(f"/customers/import/{token}").get_data(as_text=True)
    return token, parse(html), text_of(html)


def run_import(client, doc, button: str) -> str:
    """Press the check page's import button (its form's hidden mapping as a browser sends it); the done page."""
    form = doc.button(button).form
    response = client.post(form["action"], data=form.form_data())
    assert response.status_code == 303
    return text_of(client.get(response.headers["Location"]).get_data(as_text=True))


def by_email(email: str) -> Customer:
    """The one customer with this email."""
    return db.session.scalars(select(Customer).where(Customer.email == email)).one()


def by_phone(phone: str) -> Customer:
    """The one customer with this contact number."""
    return db.session.scalars(select(Customer).where(Customer.phone == phone)).one()


# ---- the mapping -----------------------------------------------------------------------------------------------


def test_shopify_columns_map_without_help():
    assert imports.guess_mapping(header_of(SHOPIFY)) == [
        "", "first_name", "last_name", "email", "email_marketing", "company_name", "street", "street_2", "city",
        "state", "country", "postcode", "", "phone", "sms_marketing", "", "", "note", "", "tags"]


def test_woocommerce_columns_map_without_help():
    assert imports.guess_mapping(header_of(WOOCOMMERCE)) == [
        "first_name", "last_name", "email", "phone", "street", "street_2", "company_name", "city", "state",
        "postcode", "country"]


@pytest.mark.parametrize(("header", "field"), [
    ("Default Address Phone", ""), ("Shipping Phone", ""), ("shipping_phone", ""), ("billing_phone", "phone"),
    ("billing_address_1", "street"), ("shipping_address_2", "street_2"), ("Address Line 2", "street_2"),
    ("Accepts SMS Marketing", "sms_marketing"), ("Customer note", "note"), ("Comments", "note"),
    ("Tags", "tags"), ("Tax Exempt", ""), ("Customer ID", ""), ("Total Orders", ""),
])
def test_other_shops_headers(header, field):
    assert imports.guess_field(header) == field


@pytest.mark.parametrize(("header", "note"), [
    ("Tags", ""),
    ("Customer ID", "The other system's number for the customer, not imported"),
    ("Total Orders", "Worked out by the shop, not imported"),
    ("total_spent", "Worked out by the shop, not imported"),
    ("Default Address Phone", "A delivery address's phone, often the recipient's: imported only if you choose it"),
    ("Tax Exempt", ""), ("Email", ""),
])
def test_column_notes(header, note):
    assert imports.column_note(header) == note


# ---- the check page --------------------------------------------------------------------------------------------


def test_the_check_page_of_a_shopify_file(logged_in):
    _token, doc, text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    chosen = {label: doc.field(f"Map {label}").value for label in header_of(SHOPIFY)}
    assert (chosen["Phone"], chosen["Default Address Phone"]) == ("phone", "")
    assert (chosen["Default Address Address2"], chosen["Note"], chosen["Tags"]) == ("street_2", "note", "tags")
    assert chosen["Accepts SMS Marketing"] == "sms_marketing"
    assert doc.field("Map Tags").description == ""
    assert doc.field("Map Default Address Phone").description.startswith("A delivery address's phone")
    assert doc.field("Map Tax Exempt").description == ""
    assert LEFT_OUT in text
    figures = dict(zip((dt.text for dt in doc.find_all("dt")), (dd.text for dd in doc.find_all("dd"))))
    assert (figures["To create"], figures["To update"], figures["Invalid rows"]) == ("5", "0", "1")
    problems = [row for row in doc.rows() if row and row[0] == "7"]
    assert problems == [["7", "—", "This row has no name, email or phone number: give at least one of them"]]
    doc.button("Import 5 customers")


def test_the_import_choices_offer_the_second_street_line_the_note_and_tags(logged_in):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    options = [o.text for o in doc.field("Map Note").find_all("option")]
    assert options[-3:] == ["Street, second line", "Private note", "Tags"]
    assert "Text and WhatsApp marketing" in options


# ---- the result ------------------------------------------------------------------------------------------------


def test_a_shopify_file_imports_as_it_is(logged_in, app):
    before = datetime.now(timezone.utc)
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    done = run_import(logged_in, doc, "Import 5 customers")
    assert "Imported: 5 created, 0 updated, 0 skipped" in done
    with app.app_context():
        chloe = by_email("chloe.nguyen@example.com.au")
        # The customer's own phone, not the address's (+61 2 9633 1000).
        assert chloe.phone == "+61412345678"
        assert (chloe.address.street, chloe.address.city, chloe.address.state, chloe.address.postcode,
                chloe.address.country) == ("12 Smith Street, Unit 4", "Parramatta", "NSW", "2150", "AU")
        assert (chloe.email_marketing, chloe.email_marketing_method) == (True, "import")
        assert (chloe.sms_marketing, chloe.sms_marketing_method) == (True, "import")
        assert chloe.sms_marketing_at >= before.replace(microsecond=0)
        [note] = chloe.notes
        assert note.body == CHLOE_NOTE and note.created_at >= before.replace(microsecond=0)
        assert note.author.email == "owner@shop.test"
        siti = by_email("siti.rahman@example.com.my")
        assert (siti.phone, siti.company_name, siti.email_marketing, siti.sms_marketing) == (
            "+60123456789", "Kedai Bunga Siti Sdn Bhd", False, True)
        assert (siti.address.street, siti.address.state, siti.address.postcode, siti.address.country) == (
            "No. 8, Jalan SS 2/24, Taman Bahagia", "Selangor", "47300", "MY")
        assert [n.body for n in siti.notes] == [SITI_NOTE]
        jack = by_email("jack.obrien@example.net")
        assert (jack.phone, jack.address.street, jack.sms_marketing, jack.sms_marketing_at) == (
            None, "45 Collins St", False, None)
        assert jack.notes == []


def test_nameless_rows_with_a_phone_or_an_email_are_customers(logged_in, app):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    run_import(logged_in, doc, "Import 5 customers")
    with app.app_context():
        known_by_phone = by_phone("+61413555777")
        assert (known_by_phone.full_name, known_by_phone.sms_marketing) == ("", True)
        assert known_by_phone.display_name == f"Customer {known_by_phone.id}"
        known_by_email = by_email("lim.weiling@example.my")
        assert (known_by_email.display_name, known_by_email.email_marketing) == ("lim.weiling@example.my", True)
        # The row with only a company and a note was refused: nobody to know the customer by.
        assert db.session.scalars(select(Customer).where(Customer.company_name == "Acme Pty Ltd")).all() == []
        lim_id = known_by_email.id
    profile = parse(logged_in.get(f"/customers/{lim_id}").get_data(as_text=True))
    assert profile.heading("lim.weiling@example.my").tag == "h1"


def test_the_note_is_in_the_notes_and_the_trail(logged_in, app):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "shopify.csv")
    run_import(logged_in, doc, "Import 5 customers")
    with app.app_context():
        chloe = by_email("chloe.nguyen@example.com.au")
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "note",
                                                              AuditEvent.customer_id == chloe.id)).all()
        assert (event.actor, event.subject, event.new_value) == ("owner@shop.test", "Chloe Nguyen", CHLOE_NOTE)
        assert event.detail.startswith("Private note added from “shopify.csv” (import #")
        assert db.session.scalar(select(func.count()).select_from(Note)) == 2
        chloe_id = chloe.id
    profile = parse(logged_in.get(f"/customers/{chloe_id}").get_data(as_text=True))
    notes = profile.by_role("region", "Notes").content_name()
    assert "Prefers afternoon delivery, leave it at the side gate." in notes
    changes = profile.by_role("region", "Changes").content_name()
    assert "Note: Private note added from “shopify.csv”" in changes


def test_the_profile_shows_the_sms_consent_with_when_and_how(logged_in, app):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    run_import(logged_in, doc, "Import 5 customers")
    with app.app_context():
        chloe_id = by_email("chloe.nguyen@example.com.au").id
        jack_id = by_email("jack.obrien@example.net").id
    profile = parse(logged_in.get(f"/customers/{chloe_id}").get_data(as_text=True))
    contact = dict(zip((dt.text for dt in profile.find_all("dt")), (dd.content_name() for dd in profile.find_all("dd"))))
    assert contact["Text and WhatsApp marketing"].startswith("Subscribed since ")
    assert contact["Text and WhatsApp marketing"].endswith("(imported)")
    profile = parse(logged_in.get(f"/customers/{jack_id}").get_data(as_text=True))
    contact = dict(zip((dt.text for dt in profile.find_all("dt")), (dd.content_name() for dd in profile.find_all("dd"))))
    assert contact["Text and WhatsApp marketing"] == "Not subscribed"


def test_importing_the_same_file_again_changes_nothing(logged_in, app):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    run_import(logged_in, doc, "Import 5 customers")
    _token, doc, text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    figures = dict(zip((dt.text for dt in doc.find_all("dt")), (dd.text for dd in doc.find_all("dd"))))
    assert (figures["To create"], figures["To update"], figures["To skip"]) == ("0", "0", "5")
    assert "Nothing to import" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Note)) == 2


def test_a_new_note_for_a_known_customer_is_an_update(logged_in, app):
    _token, doc, _text = check_page(logged_in, SHOPIFY, "customers_export.csv")
    run_import(logged_in, doc, "Import 5 customers")
    later = "Email,Note\nchloe.nguyen@example.com.au,\"Moved to the Blue Mountains, ask before sending\"\n"
    _token, doc, _text = check_page(logged_in, later.encode(), "notes.csv")
    assert "Imported: 0 created, 1 updated, 0 skipped" in run_import(logged_in, doc, "Import 1 customer")
    with app.app_context():
        chloe = by_email("chloe.nguyen@example.com.au")
        assert [n.body for n in chloe.notes] == ["Moved to the Blue Mountains, ask before sending", CHLOE_NOTE]


def test_a_woocommerce_file_imports_as_it_is(logged_in, app):
    _token, doc, text = check_page(logged_in, WOOCOMMERCE, "woocommerce.csv")
    assert "Columns left out" not in text
    assert "Imported: 3 created, 0 updated, 0 skipped" in run_import(logged_in, doc, "Import 3 customers")
    with app.app_context():
        olivia = by_email("olivia.brown@example.com")
        assert (olivia.phone, olivia.company_name, olivia.address.street, olivia.address.city) == (
            "+61400123456", "Brown & Co", "88 George St, Level 2", "Sydney")
        ahmad = by_email("ahmad.ismail@example.my")
        assert (ahmad.phone, ahmad.address.street, ahmad.address.state, ahmad.address.country) == (
            "+60198765432", "Lot 12, Jalan Tun Razak", "Wilayah Persekutuan Kuala Lumpur", "MY")
        assert by_phone("+61731234567").full_name == ""


def test_a_second_street_line_too_long_for_the_street_is_refused(logged_in, app):
    data = "Email,Address1,Address2,City,Zip\nann@example.com,1 Long Rd," + "x" * 200 + ",Parramatta,2150\n"
    _token, _doc, text = check_page(logged_in, data.encode(), "long.csv")
    assert "Keep the street to 200 characters" in text
    assert count_customers(app) == 0
