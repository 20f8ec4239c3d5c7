"""Customer import service: reading files, guessing columns, the row rules, matching, updating, writing."""

import csv
import io
import re
import zipfile
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from crm import imports
from crm.customers import checks
from crm.extensions import db
from crm.imports import batches, writing
from crm.imports.messages import shown
from crm.models import Address, AuditEvent, Customer, ImportJob, LocationCount, Membership, SegmentCount
from crm.services import addresses, emails, erasure, exports, insights, stats
from crm.services.customers import ListQuery, customer_page

from . import factories
from .factories import make_customer

HEADER = "first_name,last_name,email,phone"


def analysis(text: str, mapping=None, region="AU", **kwargs) -> imports.Analysis:
    """The dry run of a CSV text (inside an app context), with the guessed mapping unless one is given."""
    source = imports.read_csv(text.encode("utf-8"))
    return imports.analyse(source, mapping or imports.guess_mapping(source.header), region, **kwargs)


def import_text(text: str, mapping=None, region="AU", filename="customers.csv", overwrite=False) -> imports.Analysis:
    """Check and import a CSV text in one transaction, as the background job does."""
    plan = analysis(text, mapping, region, keep_plan=True, overwrite=overwrite)
    imports.begin_write()
    imports.write(plan, None, token="t" * 43, filename=filename)
    db.session.commit()
    return plan


def problems(result: imports.Analysis) -> list[tuple[int, str, str]]:
    """(row, column, message) of every problem."""
    return [(p.row, p.column, p.message) for p in result.problems]


def customers() -> list[Customer]:
    """Every customer, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(Customer).order_by(Customer.id)))


# ---- files that can't be imported ---------------------------------------------------------------------------


def _xlsx() -> bytes:
    """A minimal .xlsx-shaped ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


BAD_FILES = [
    pytest.param(b"", "This file is empty.", id="empty"),
    pytest.param(b"\xef\xbb\xbf \r\n", "This file is empty.", id="only-bom-and-space"),
    pytest.param(b"first_name,email\r\n", "This file has a header row but no customers.", id="only-header"),
    pytest.param(b"first_name,email\n,\n\n", "This file has a header row but no customers.", id="header-blank-rows"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is a PNG image, not a CSV file.", id="png"),
    pytest.param(_xlsx(), "This is a spreadsheet workbook (.xlsx or .ods), not a CSV file.", id="xlsx-renamed"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "Excel 97-2003 workbook", id="xls"),
    pytest.param(b"%PDF-1.7\n", "This is a PDF document", id="pdf"),
    pytest.param("first_name\nAnna\n".encode("utf-16"), "This file is UTF-16: save it as CSV UTF-8.", id="utf16-bom"),
    pytest.param("first_name\nAnna\n".encode("utf-16-le"), "This file looks like UTF-16", id="utf16-no-bom"),
    pytest.param("first_name\nAnna\n".encode("utf-32"), "This file is UTF-32", id="utf32"),
    pytest.param("first_name,last_name\nZoë,Müller\n".encode("cp1252"),
                 "This file isn't UTF-8: it looks like Windows-1252 or Latin-1 (line 2", id="windows-1252"),
    pytest.param(b"first_name\n\x81\x8d\x8f\x90\x9d\n", "This file isn't UTF-8 text (line 2", id="not-text"),
    pytest.param(b"first_name\nAn\x00na\x00\x01\x02\n", "This isn't a CSV file: it holds binary data.", id="binary"),
    pytest.param(b'first_name,email\nAnna,anna@example.com\n"Bob,bob@example.com\nCara,cara@example.com\n',
                 'Row 3 has a quote (") that is never closed (from line 3)', id="unterminated-quote"),
    pytest.param(b'first_name,email\nAnna "Annie" Smith,anna@example.com\n"Bob"by,bob@example.com\n',
                 'Row 3 (line 3) has a stray quote (")', id="stray-quote"),
    pytest.param(b"\nfirst_name\nAnna\n", "The first row is empty", id="blank-first-row"),
    pytest.param((",".join(f"c{i}" for i in range(201)) + "\n" + "x," * 200 + "x\n").encode(),
                 "This file has 201 columns; an import takes at most 200.", id="too-many-columns"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_are_refused_with_a_reason(data, message):
    with pytest.raises(imports.BadFile) as caught:
        imports.read_csv(data)
    assert message in str(caught.value)


def test_excel_advice_in_encoding_messages():
    with pytest.raises(imports.BadFile) as caught:
        imports.read_csv("first_name\nZoë\n".encode("cp1252"))
    assert "CSV UTF-8 (Comma delimited)" in str(caught.value)


@pytest.mark.parametrize(("data", "delimiter"), [
    pytest.param(b"first_name,last_name\nAnna,Smith\n", ",", id="comma"),
    pytest.param(b"first_name;last_name\r\nAnna;Smith\r\n", ";", id="semicolon"),
    pytest.param(b"first_name\tlast_name\nAnna\tSmith\n", "\t", id="tab"),
    pytest.param(b'"first_name;x",last_name\nAnna,Smith\n', ",", id="quoted-header"),
    pytest.param("\ufefffirst_name;last_name\nZoë;Smith\n".encode(), ";", id="utf8-bom"),
    pytest.param(b"first_name\nAnna\n", ",", id="one-column"),
])
def test_comma_semicolon_and_tab_files_are_read(data, delimiter):
    source = imports.read_csv(data)
    assert source.delimiter == delimiter
    assert source.header[:1] in (["first_name"], ["first_name;x"])
    assert source.rows == 1
    assert list(source.records())[0][0] == 2  # the first data row is row 2, as a spreadsheet numbers it


def test_row_numbers_count_records_not_lines():
    source = imports.read_csv(b'first_name,street\nAnna,"1 Long St\nUnit 2"\n\nBob,x\n')
    assert [n for n, _cells in source.records()] == [2, 3, 4]
    assert source.rows == 3


LONG = "x" * 200_000  # past the csv module's own field limit (131,072), and no quote anywhere


def test_a_long_cell_without_quotes_is_read_as_a_cell_and_the_row_rules_judge_it(app):
    text = f"first_name,email,notes\n{LONG},anna@example.com,a\nBob,bob@example.com,{LONG}\n"
    source = imports.read_csv(text.encode())
    assert source.rows == 2 and [len(cells[2]) for _n, cells in source.records()] == [1, 200_000]
    with app.app_context():
        result = analysis(text)
    assert problems(result) == [(2, "first_name", "Keep the first name to 100 characters"),
                                (3, "notes", "Keep a note under 5,000 characters")]  # the notes are imported
    assert result.create == 0


@pytest.fixture
def small_cell_limit():
    """The csv module's field limit lowered to 1,000 characters for one test (it is process-wide)."""
    before = csv.field_size_limit(1000)
    yield
    csv.field_size_limit(before)


def test_a_cell_over_the_csv_modules_limit_is_named_as_such(small_cell_limit):
    with pytest.raises(imports.BadFile) as refused:
        imports.read_csv(f"first_name,notes\nAnna,ok\nBob,{'x' * 2000}\n".encode())
    assert str(refused.value) == ("Row 3 (from line 3) has a cell longer than 1,000 characters, more than an "
                                  "import can read: shorten it.")


def test_long_headers_and_values_are_shortened_where_they_are_shown():
    assert imports.column_labels(["H" * 101, "", "Email"]) == ["H" * 99 + "…", "Column 2", "Email"]
    assert imports.shorten("x" * 60, 60) == "x" * 60 and imports.shorten("x" * 61, 60) == "x" * 59 + "…"


# ---- which column holds what -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "field"), [
    ("Phone", "phone"), ("Mobile", "phone"), ("Mobile number", "phone"), ("Tel.", "phone"),
    ("E-mail", "email"), ("Email Address", "email"), ("Customer Email", "email"),
    ("Surname", "last_name"), ("Last Name", "last_name"), ("Family name", "last_name"),
    ("Given name", "first_name"), ("First Name", "first_name"), ("first_name", "first_name"),
    ("Postal code", "postcode"), ("Zip", "postcode"), ("ZIP code", "postcode"), ("Default Address Zip", "postcode"),
    ("Suburb", "city"), ("Town", "city"), ("City", "city"), ("Suburb / City", "city"),
    ("Province", "state"), ("Default Address Province Code", "state"), ("Country Code", "country"),
    ("Address1", "street"), ("Street address", "street"), ("Company", "company_name"), ("ABN", "abn"),
    ("WhatsApp", "whatsapp"), ("Member ID", "membership_id"), ("Expiry date", "membership_expires_on"),
    ("Accepts Email Marketing", "email_marketing"), ("Newsletter", "email_marketing"),
    ("Notes", "note"), ("Tags", "tags"), ("Address2", "street_2"), ("id", ""), ("total_spent", ""), ("", ""),
])
def test_guessing_a_column(header, field):
    assert imports.guess_field(header) == field


def test_export_columns_map_to_themselves_and_figures_are_left_out():
    mapping = imports.guess_mapping(list(imports.EXPORT_COLUMNS))
    for column, key in zip(imports.EXPORT_COLUMNS, mapping):
        assert key == ("" if column in imports.COMPUTED_COLUMNS else column)
        assert imports.is_computed(column) == (column in imports.COMPUTED_COLUMNS)


def test_each_field_is_guessed_for_its_first_column_only():
    assert imports.guess_mapping(["Phone", "Mobile", "First name"]) == ["phone", "", "first_name"]


def test_mapping_problems():
    assert imports.mapping_problems(["Company", "Name"], ["company_name", ""]) == [
        "No column is imported as a name, an email or a phone number: choose the columns that hold them."]
    assert imports.mapping_problems(["Email", "Name"], ["email", ""]) == []
    assert imports.mapping_problems(["Mobile"], ["phone"]) == []
    assert imports.mapping_problems(["Name", "E-mail", "Email 2"], ["first_name", "email", "email"]) == [
        "“E-mail” and “Email 2” are all imported as Email: choose one of them."]
    assert imports.mapping_problems(["Name"], ["first_name"]) == []


def test_clean_mapping_drops_unknown_fields():
    assert imports.clean_mapping(["a", "b", "c"], ["first_name", "password_hash"]) == ["first_name", "", ""]


# ---- the row rules ---------------------------------------------------------------------------------------------


ROW_RULES = [
    ("first_name,email,company_name\n,,Acme Pty Ltd\n", "",
     "This row has no name, email or phone number: give at least one of them"),
    ("first_name\n" + "A" * 101 + "\n", "first_name", "Keep the first name to 100 characters"),
    ("first_name,last_name\nAnna," + "B" * 101 + "\n", "last_name", "Keep the last name to 100 characters"),
    ("first_name\nAn\u202ena\n", "first_name", "Remove the invisible control characters"),
    ("first_name,company_name\nAnna," + "C" * 201 + "\n", "company_name", "Keep the company name to 200 characters"),
    ("first_name,email\nAnna,anna.example.com\n", "email", "An email address must have an @-sign."),
    ("first_name,email\nAnna,anna@localhost\n", "email", "The part after the @-sign is not valid"),
    ("first_name,phone\nAnna,0412\n", "phone", "This phone number is not possible"),
    ("first_name,phone\nAnna,call me\n", "phone", "This is not a phone number"),
    ("first_name,whatsapp\nAnna,12345\n", "whatsapp", "This phone number is not possible"),
    ("first_name,abn\nAnna,51 824 753 557\n", "abn", "This ABN's check digits don't match: check for a typo"),
    ("first_name,abn\nAnna,1234\n", "abn", "An ABN has 11 digits"),
    ("first_name,membership_id\nAnna,KG 123\n", "membership_id", "Use up to 40 letters, digits and dashes"),
    ("first_name,membership_id,membership_expires_on\nAnna,KG1,31/03/2027\n", "membership_expires_on",
     "Use a date such as 2027-03-31 (year-month-day)"),
    ("first_name,membership_id,membership_expires_on\nAnna,KG1,2027-02-30\n", "membership_expires_on",
     "This date doesn't exist"),
    ("first_name,membership_expires_on\nAnna,2027-03-31\n", "membership_expires_on",
     "Give a membership ID for this expiry date"),
    ("first_name,city,state,postcode\nAnna,Parramatta,XYZ,2150\n", "state", "Choose a state of Australia"),
    ("first_name,city,state,postcode\nAnna,Parramatta,NSW,215\n", "postcode", "An Australian postcode has 4 digits"),
    ("first_name,city,state\nAnna,Parramatta,NSW\n", "Postcode", "Enter the postcode"),
    ("first_name,street,postcode\nAnna,1 Main St,2150\n", "Suburb / City", "Enter the suburb or city"),
    ("first_name,city,postcode,country\nAnna,Kuala Lumpur,5000,MY\n", "postcode", "A Malaysian postcode has 5 digits"),
    ("first_name,city,postcode,country\nAnna,Atlantis,1234,Atlantis\n", "country",
     "Use a two-letter country code such as AU, or the country's name"),
    ("first_name,street,city,postcode\nAnna," + "S" * 201 + ",Parramatta,2150\n", "street",
     "Keep the street to 200 characters"),
    ("first_name,email_marketing\nAnna,maybe\n", "email_marketing", "Use true or false (yes/no and 1/0 work too)"),
    ("first_name,email\nAnna,a@example.com,extra,cells\n", "",
     "This row has 4 cells but the header has 2: put quotes around values that contain a comma"),
    ("first_name;email\nAnna;a@example.com;extra\n", "",
     "This row has 3 cells but the header has 2: put quotes around values that contain a semicolon"),
]


@pytest.mark.parametrize(("text", "column", "message"), ROW_RULES)
def test_row_rules(app, text, column, message):
    with app.app_context():
        result = analysis(text)
    assert result.invalid == 1 and result.create == 0
    assert (2, column, message) in [(r, c, m[:len(message)]) for r, c, m in problems(result)]


@pytest.mark.parametrize(("text", "column", "message"), ROW_RULES)
def test_a_kept_row_problem_reads_in_the_pages_language(app, text, column, message):
    """The import keeps its problems in English; a Malay page shows each in Malay, values and all."""
    with app.app_context():
        kept = [kept for _row, _column, kept in problems(analysis(text))]
    with app.test_request_context(), force_locale("ms"):
        malay = [shown(problem) for problem in kept]
    assert all(in_malay != problem for in_malay, problem in zip(malay, kept)), malay
    assert all(re.findall(r"\d+", in_malay) == re.findall(r"\d+", problem) for in_malay, problem in zip(malay, kept))


def test_problems_name_the_files_own_column_headers(app):
    with app.app_context():
        result = analysis("Given name,E-mail,Mobile\nAnna,nope,0412\n")
    assert problems(result) == [(2, "E-mail", "An email address must have an @-sign."),
                                (2, "Mobile", "This phone number is not possible")]


@pytest.mark.parametrize(("cells", "expected"), [
    ("Anna,anna@Example.COM,0412 345 678,,TRUE", {"email": "anna@example.com", "phone": "+61412345678",
                                                  "email_marketing": True}),
    ("Anna,,'+61412345678,'+61412345678,yes", {"phone": "+61412345678", "whatsapp": "+61412345678",
                                               "email_marketing": True}),
    ("Anna,,+60 12-345 6789,,n", {"phone": "+60123456789", "email_marketing": False}),
    ("Anna,,(02) 9876 5432,,0", {"phone": "+61298765432", "email_marketing": False}),
    ("  Anna   Maria ,,,,", {"first_name": "Anna Maria", "email_marketing": False}),
])
def test_accepted_values_are_normalized(app, cells, expected):
    with app.app_context():
        import_text("first_name,email,phone,whatsapp,email_marketing\n" + cells + "\n")
        (customer,) = customers()
        for key, value in expected.items():
            assert getattr(customer, key) == value
        assert customer.source == "import"


def test_address_abn_and_membership_are_normalized(app):
    with app.app_context():
        import_text("first_name,abn,membership_id,membership_expires_on,street,city,state,postcode,country\n"
                    "Anna,51 824 753 556,kg-123,2027-03-31,1 Main St,Parramatta,new south wales, 2150 ,australia\n"
                    "Budi,,,,No. 5 Jalan Ampang,Kuala Lumpur,KL,50450,MY\n")
        anna, budi = customers()
        assert anna.abn == "51824753556"
        assert (anna.membership.membership_id, anna.membership.expires_on) == ("KG-123", date(2027, 3, 31))
        assert (anna.address.street, anna.address.city, anna.address.state, anna.address.postcode,
                anna.address.country) == ("1 Main St", "Parramatta", "NSW", "2150", "AU")
        assert (budi.address.state, budi.address.postcode, budi.address.country) == (
            "Wilayah Persekutuan Kuala Lumpur", "50450", "MY")


def test_email_quick_path_agrees_with_email_validator():
    addresses = ["anna@example.com", "Anna.Smith+shop@Example.COM", "o'brien@example.com.au", "a@b.co",
                 "x@sub.domain.example", "anna@EXAMPLE.test", "user@xn--bcher-kva.example", "a..b@example.com",
                 ".a@example.com", "a@example", "a@-example.com", "a@localhost", "a@example..com",
                 "zoë@example.com", "anna@bücher.example", '"quoted"@example.com', "a@[127.0.0.1]",
                 "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com", "a@" + ("b" * 60 + ".") * 5 + "com"]
    for address in addresses:
        try:
            expected = emails.normalize_email(address)
        except emails.InvalidEmail as exc:
            expected = ("error", str(exc))
        try:
            got = checks.normalize_email(address)
        except emails.InvalidEmail as exc:
            got = ("error", str(exc))
        assert got == expected, address


def test_duplicate_emails_in_the_file_leave_out_every_copy(app):
    with app.app_context():
        result = analysis("first_name,email\nAnna,anna@example.com\nBob,bob@example.com\n"
                          "Anna2,ANNA@example.com\nAnna3,Anna@Example.com\n")
    assert (result.create, result.invalid) == (1, 3)
    assert problems(result) == [(2, "email", "Rows 4 and 5 have the same email"),
                                (4, "email", "Rows 2 and 5 have the same email"),
                                (5, "email", "Rows 2 and 4 have the same email")]


def test_two_rows_with_one_email_name_each_other(app):
    with app.app_context():
        result = analysis("First,Mail\nAnna,a@example.com\nAnnie,A@EXAMPLE.COM\n")
    assert problems(result) == [(2, "Mail", "Row 3 has the same email"), (3, "Mail", "Row 2 has the same email")]


def test_duplicate_membership_ids_in_the_file(app):
    with app.app_context():
        result = analysis("first_name,membership_id\nAnna,KG1\nBob,kg1\n")
    assert problems(result) == [(2, "membership_id", "Row 3 has the same membership ID"),
                                (3, "membership_id", "Row 2 has the same membership ID")]


def test_membership_id_of_another_customer(app):
    with app.app_context():
        other = make_customer("Olga", email="olga@example.com")
        factories.membership(other, "KG1")
        db.session.commit()
        result = analysis("first_name,email,membership_id\nAnna,anna@example.com,kg1\nOlga,olga@example.com,\n")
    assert problems(result) == [(2, "membership_id", "Another customer already has this membership ID")]
    assert result.unchanged == 1


# ---- matching and updating ---------------------------------------------------------------------------------------


def test_dry_run_counts_and_changes_nothing(app):
    with app.app_context():
        make_customer("Olga", "Old", email="olga@example.com", phone="+61412345678")
        make_customer("Pat", "Phone", phone="+61412000111")
        db.session.commit()
        text = ("first_name,last_name,email,phone\n"
                "Anna,New,anna@example.com,\n"          # create
                "Olga,Old,OLGA@example.com,0412 345 678\n"  # unchanged
                "Olga,Olsen,olga2@example.com,\n"       # create (another email)
                ",,,\n"                                   # nothing to import
                "Pat,Phone,,0412 000 111\n"              # invalid: the same customer as row 7 (by phone)
                "Patricia,,,0412 000 111\n"              # invalid: the same customer as row 6
                "Bad,Row,not-an-email,\n")               # invalid
        result = analysis(text)
        assert (result.create, result.update, result.unchanged, result.empty, result.invalid) == (2, 0, 1, 1, 3)
        assert result.skip == 2 and result.to_import == 2
        assert result.invalid_rows == [6, 7, 8]
        assert (6, "", "Row 7 matches the same customer (by email or number): keep one row per customer") in \
            problems(result)
        assert len(customers()) == 2


def test_filled_cells_overwrite_and_empty_cells_keep(app):
    with app.app_context():
        make_customer("Olga", "Old", email="olga@example.com", phone="+61412345678", company_name="Olga Co",
                      city="Parramatta", state="NSW", postcode="2150", street="1 Main St")
        db.session.commit()
        result = import_text("first_name,last_name,email,phone,company_name,street,city,state,postcode\n"
                             "Olga,Olsen,olga@example.com,,,,,,\n", overwrite=True)
        assert (result.update, result.changes == []) == (1, False)
        (olga,) = customers()
        assert (olga.first_name, olga.last_name, olga.phone, olga.company_name) == (
            "Olga", "Olsen", "+61412345678", "Olga Co")
        assert olga.address.street == "1 Main St"
        assert olga.source == "manual"  # an update keeps how the customer arrived
        assert customer_page(ListQuery(q="olsen"), "AU", 25).customers == [olga]  # search fields refreshed


def test_address_is_replaced_as_a_whole(app):
    with app.app_context():
        make_customer("Olga", email="olga@example.com", street="1 Main St", city="Parramatta", state="NSW",
                      postcode="2150")
        db.session.commit()
        import_text("first_name,email,street,city,state,postcode\nOlga,olga@example.com,,Fitzroy,VIC,3065\n",
                    overwrite=True)
        (olga,) = customers()
        assert (olga.address.street, olga.address.city, olga.address.state, olga.address.postcode,
                olga.address.country) == ("", "Fitzroy", "VIC", "3065", "AU")


def test_a_blank_country_keeps_the_stored_country(app):
    with app.app_context():
        make_customer("Budi", email="budi@example.com", city="Kuala Lumpur",
                      state="Wilayah Persekutuan Kuala Lumpur", postcode="50450", country="MY")
        db.session.commit()
        result = import_text("first_name,email,city,state,postcode\nBudi,budi@example.com,Petaling Jaya,"
                             "Selangor,46000\n", overwrite=True)
        assert result.update == 1 and result.invalid == 0
        (budi,) = customers()
        assert (budi.address.state, budi.address.country) == ("Selangor", "MY")


def test_matched_by_phone_when_the_row_has_no_known_email(app):
    with app.app_context():
        make_customer("Pat", "Phone", phone="+61412000111")
        make_customer("Wanda", "Whats", whatsapp="+61412000222", email="wanda@example.com")
        db.session.commit()
        result = import_text("first_name,email,phone\nPat,pat@example.com,0412 000 111\nWanda,,0412 000 222\n"
                             "Wendy,wendy@example.com,0412 000 222\n")
        assert (result.update, result.create, result.unchanged) == (2, 1, 0)
        pat, wanda, wendy = customers()
        assert pat.email == "pat@example.com"  # the email was added to the customer found by phone
        assert (wanda.phone, wanda.whatsapp) == ("+61412000222", "+61412000222")  # found by her WhatsApp
        # Wendy's email differs from Wanda's: the shared number doesn't make them one person.
        assert (wendy.first_name, wendy.phone) == ("Wendy", "+61412000222")


def test_a_number_shared_by_two_customers_picks_the_one_named_in_the_row(app):
    with app.app_context():
        make_customer("Sam", "Shared", phone="+61412000333")
        make_customer("Sue", "Shared", phone="+61412000333")
        db.session.commit()
        result = analysis("first_name,last_name,phone\nSue,Shared,0412 000 333\nSid,Shared,0412 000 333\n")
        assert result.unchanged == 1
        assert problems(result) == [(3, "phone", "2 customers have this number: add the email to tell them apart")]


def test_rows_without_email_or_number_are_new_unless_identical(app):
    with app.app_context():
        make_customer("Nora", "Name", city="Parramatta", state="NSW", postcode="2150")
        db.session.commit()
        held = make_customer("Mona", "Member")
        factories.membership(held, "KG7")
        db.session.commit()
        result = analysis("first_name,last_name,city,state,postcode,membership_id\n"
                          "Nora,Name,Parramatta,NSW,2150,\nNora,Name,,,,\nNora,Name,Fitzroy,VIC,3065,\n"
                          "Mona,Member,,,,kg7\n")
        assert (result.unchanged, result.create, result.update, result.invalid) == (3, 1, 0, 0)
        # Another name with Mona's membership ID: a new customer can't take it.
        result = analysis("first_name,last_name,membership_id\nMona,Membery,KG7\n")
        assert problems(result) == [(2, "membership_id", "Another customer already has this membership ID")]


def test_anonymized_customers_are_never_updated(app):
    with app.app_context():
        gone = make_customer("Gina", "Gone", email="gina@example.com", phone="+61412000444",
                             orders_spec=[(5000, "paid")])
        erasure.anonymize_customer(gone, None)
        db.session.commit()
        result = import_text("first_name,last_name,email,phone\nGina,Gone,,0412 000 444\n"
                             "Anonymized,customer,,\n")
        assert (result.create, result.update, result.unchanged) == (1, 0, 1)
        gone = db.session.get(Customer, gone.id)
        assert (gone.first_name, gone.phone) == ("Anonymized", None)


def test_consent_from_the_file_is_recorded_when_it_changes(app):
    with app.app_context():
        yes = make_customer("Yara", email="yara@example.com")
        yes.email_marketing, yes.email_marketing_method = True, "follow"
        yes.email_marketing_at = datetime(2025, 1, 1, tzinfo=timezone.utc)
        make_customer("Nils", email="nils@example.com")
        db.session.commit()
        result = import_text("first_name,email,email_marketing\nYara,yara@example.com,yes\n"
                             "Nils,nils@example.com,yes\nNew,new@example.com,false\nNewer,newer@example.com,true\n")
        assert (result.unchanged, result.update, result.create) == (1, 1, 2)
        yara, nils, new, newer = customers()
        assert (yara.email_marketing_method, yara.email_marketing_at.year) == ("follow", 2025)
        assert (nils.email_marketing, nils.email_marketing_method) == (True, "import")
        assert nils.email_marketing_at is not None
        assert (new.email_marketing, new.email_marketing_at, new.email_marketing_method) == (False, None, None)
        assert (newer.email_marketing, newer.email_marketing_method) == (True, "import")


def test_membership_added_and_expiry_updated(app):
    with app.app_context():
        held = make_customer("Mia", email="mia@example.com")
        factories.membership(held, "KG1", date(2026, 1, 1))
        make_customer("Noah", email="noah@example.com")
        db.session.commit()
        import_text("first_name,email,membership_id,membership_expires_on\nMia,mia@example.com,,2027-01-01\n"
                    "Noah,noah@example.com,kg2,\n", overwrite=True)
        mia, noah = customers()
        assert (mia.membership.membership_id, mia.membership.expires_on) == ("KG1", date(2027, 1, 1))
        assert (noah.membership.membership_id, noah.membership.expires_on) == ("KG2", None)


def test_unchanged_rows_compare_normalized_values(app):
    with app.app_context():
        customer = make_customer("Zoë", "Ångström", email="Zoe@Example.com", phone="+61412345678",
                                 company_name="Zoë Co", street="1 Main St", city="Parramatta", state="NSW",
                                 postcode="2150")
        customer.abn = "51824753556"
        db.session.commit()
        result = analysis("first_name,last_name,email,phone,company_name,abn,street,city,state,postcode,country\n"
                          "Zoë,Ångström,zoe@example.COM,0412 345 678,Zoë  Co,51 824 753 556,1 Main St,Parramatta,"
                          "New South Wales,2150,Australia\n")
        assert (result.unchanged, result.update) == (1, 0)


def test_writing_keeps_the_counts_and_trail(app):
    with app.app_context():
        make_customer("Olga", "", email="olga@example.com")
        db.session.commit()
        import_text("first_name,last_name,email,phone\nAnna,Smith,anna@example.com,0412 000 555\n"
                    "Olga,Olsen,olga@example.com,\nOlga,Olsen,,\n,,,\n", filename="shop.csv")
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.status, job.total_rows, job.created, job.updated, job.skipped, job.invalid) == (
            "done", 4, 2, 1, 1, 0)
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        details = [(e.action, e.subject, e.detail, e.field, e.old_value, e.new_value) for e in events]
        assert details == [
            ("import", "Anna Smith", f"Created from “shop.csv” (import #{job.id})", None, None, None),
            ("import", "Olga Olsen", f"Created from “shop.csv” (import #{job.id})", None, None, None),
            ("import", "Olga Olsen", f"Updated from “shop.csv” (import #{job.id}): Last name", None, None, None),
            ("import", "Olga Olsen", None, "Last name", None, "Olsen"),  # filled, like a hand edit: old -> new
            ("import", "", f"2 created, 1 updated, 1 skipped from “shop.csv” (import #{job.id})", None, None, None),
        ]
        assert events[-1].customer_id is None
        counts = customer_page(ListQuery(), "AU", 25).counts
        assert counts["prospect"] == 3  # the kept segment counts follow the inserted rows


def test_without_overwrite_a_customer_keeps_every_value_they_have(app):
    with app.app_context():
        olga = make_customer("Olga", "Old", email="olga@example.com", phone="+61412345678", company_name="Olga Co",
                             street="1 Main St", city="Parramatta", state="NSW", postcode="2150")
        olga.abn = "51824753556"
        olga.whatsapp = "+61412345679"
        factories.membership(olga, "KG-1", date(2027, 1, 1))
        olga.email_marketing_at = olga.created_at  # asked, and said no: a value, not an empty field
        db.session.commit()
        result = import_text("first_name,last_name,email,phone,company_name,abn,street,city,state,postcode,"
                             "membership_id,membership_expires_on,email_marketing\n"
                             "Noah,Patel,olga@example.com,0412 000 999,New Co,53 004 085 616,9 Rd,Fitzroy,VIC,3065,"
                             "KG-2,2028-01-01,yes\n")
        assert (result.update, result.kept, result.invalid) == (0, 1, 0)
        (olga,) = customers()
        assert (olga.first_name, olga.last_name, olga.phone, olga.company_name, olga.abn, olga.address.city,
                olga.membership.membership_id, olga.email_marketing) == (
            "Olga", "Old", "+61412345678", "Olga Co", "51824753556", "Parramatta", "KG-1", False)


# Whatever a file's cells say, without overwriting they never replace a value the customer has, and cells that
# are not written never make the row invalid.
typed = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(typed, min_size=8, max_size=8))
def test_without_overwrite_no_typed_cell_replaces_a_stored_value(app, cells):
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(Customer)):
            olga = make_customer("Olga", "Old", email="olga@example.com", company_name="Olga Co", street="1 Main St",
                                 city="Parramatta", state="NSW", postcode="2150")
            olga.abn = "51824753556"
            olga.email_marketing_at = olga.created_at
            db.session.commit()
        buffer = io.StringIO()
        header = ["email", "first_name", "last_name", "company_name", "abn", "street", "city", "postcode",
                  "email_marketing"]
        csv.writer(buffer).writerows([header, ["olga@example.com", *cells]])
        try:
            source = imports.read_csv(buffer.getvalue().encode("utf-8"))
        except imports.BadFile:
            assume(False)
        result = imports.analyse(source, header, "AU")
        assert result.update == 0
        assert [p.message for p in result.problems] == []


# ---- all or nothing ------------------------------------------------------------------------------------------------


def _snapshot() -> tuple:
    """Everything an import may touch."""
    db.session.expire_all()
    return (sorted((c.id, c.first_name, c.last_name, c.email, c.phone) for c in db.session.scalars(select(Customer))),
            db.session.scalar(select(func.count()).select_from(Address)),
            db.session.scalar(select(func.count()).select_from(Membership)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_a_clash_mid_import_leaves_the_database_unchanged(app, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 2)  # several batches are written before the clash
    with app.app_context():
        make_customer("Olga", email="olga@example.com")
        db.session.commit()
        lines = [f"New{i},new{i}@example.com,1 Main St,Parramatta,NSW,2150" for i in range(7)]
        text = "first_name,email,street,city,state,postcode\nOlga Updated,olga@example.com,,,,\n" + "\n".join(lines)
        plan = analysis(text, keep_plan=True, overwrite=True)
        assert (plan.create, plan.update) == (7, 1)
        # Another request adds a customer with the file's last email between the check and the write.
        make_customer("Racer", email="new6@example.com")
        db.session.commit()
        before = _snapshot()
        imports.begin_write()
        with pytest.raises(Exception) as caught:
            imports.write(plan, None, token="t" * 43, filename="c.csv")
        assert "uq_customer_email_lower" in str(caught.value) or "unique" in str(caught.value).lower()
        db.session.rollback()
        assert _snapshot() == before
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_customer_deleted_before_the_write_stops_the_import(app):
    with app.app_context():
        doomed = make_customer("Dora", email="dora@example.com")
        db.session.commit()
        plan = analysis("first_name,email\nDora Updated,dora@example.com\nNew,new@example.com\n", keep_plan=True,
                        overwrite=True)
        db.session.delete(doomed)
        db.session.commit()
        before = _snapshot()
        imports.begin_write()
        with pytest.raises(imports.ImportConflict):
            imports.write(plan, None, token="t" * 43, filename="c.csv")
        db.session.rollback()
        assert _snapshot() == before


# ---- a fresh export reads back as unchanged ------------------------------------------------------------------------


def test_round_trip_of_an_export_creates_and_updates_nothing(app):
    with app.app_context():
        shop = [
            make_customer("Zoë", "Ångström", email="Zoe.A@Example.com", phone="+61412345678",
                          whatsapp="+61412345679", company_name="=Zoë Co", street="1 Main St", city="Parramatta",
                          state="NSW", postcode="2150", orders_spec=[(150000, "paid")]),
            make_customer("Budi", "bin Ahmad", email="budi@example.my", phone="+60123456789",
                          street="No. 5, Jalan Ampang", city="Kuala Lumpur",
                          state="Wilayah Persekutuan Kuala Lumpur", postcode="50450", country="MY"),
            make_customer("-Dash", "+Plus", phone="+61298765432"),
            make_customer("Nora", "Name"),
            make_customer("Nora", "Name"),  # two customers with the same name and nothing else
            make_customer("Gina", "Gone", email="gina@example.com", orders_spec=[(100, "paid")]),
            make_customer("", "", email="follower@example.com"),
            make_customer("Sam", "Shared", phone="+61412000333"),
            make_customer("Sue", "Shared", phone="+61412000333"),
            make_customer("Ola", "Overseas", phone="+14155550100", city="San Francisco", state="CA",
                          postcode="94103", country="US"),
            make_customer("'=1+1", "O'Brien", phone="+61298765433"),  # a quote the guard must keep
            make_customer("'Tis", "''Twas", company_name="'@home", phone="+61298765434"),
        ]
        shop[0].abn = "51824753556"
        factories.membership(shop[0], "KG-1", date(2027, 3, 31))
        shop[0].email_marketing = True
        shop[6].email_marketing = True
        shop[6].email_marketing_method = "follow"
        erasure.anonymize_customer(shop[5], None)
        db.session.commit()
        text = "".join(exports.rows(exports.ExportFilter(), "AU", "AUD"))
        assert "'+61412345678" in text and "'=Zoë Co" in text  # the export's formula guard is in the file
        source = imports.read_csv(text.encode("utf-8"))
        result = imports.analyse(source, imports.guess_mapping(source.header), "AU")
        assert problems(result) == []
        assert (result.create, result.update, result.unchanged) == (0, 0, len(shop))


def test_round_trip_after_an_edit_updates_only_that_customer(app):
    with app.app_context():
        make_customer("Anna", "Smith", email="anna@example.com", phone="+61412345678")
        make_customer("Bob", "Brown", email="bob@example.com")
        db.session.commit()
        text = "".join(exports.rows(exports.ExportFilter(), "AU", "AUD"))
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        rows[2][rows[0].index("last_name")] = "Browne"
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        result = import_text(buffer.getvalue(), overwrite=True)
        assert (result.create, result.update, result.unchanged) == (0, 1, 1)
        assert [c.last_name for c in customers()] == ["Smith", "Browne"]


# ---- the invalid rows file ---------------------------------------------------------------------------------------


def test_invalid_rows_file_has_the_rows_as_in_the_file_and_an_error_column(app):
    with app.app_context():
        source = imports.read_csv("Given name;E-mail;Note\nAnna;anna@example.com;ok\nBob;bob@;=SUM(A1)\n"
                                  "Cara;;-5\n".encode())
        result = imports.analyse(source, imports.guess_mapping(source.header), "AU")
        assert result.invalid == 1
        text = "".join(imports.invalid_rows_csv(source, [(p.row, p.column, p.message) for p in result.problems]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Given name", "E-mail", "Note", "error"]
    assert rows[1][:3] == ["Bob", "bob@", "'=SUM(A1)"]  # formulas can't run when the file is opened
    assert rows[1][3].startswith("E-mail: There must be something after the @-sign.")
    assert len(rows) == 2


def test_invalid_rows_of_an_export_keep_the_exports_guard_as_it_was(app):
    # Importing the downloaded file must read the values the check read: one guard, never a second one.
    with app.app_context():
        source = imports.read_csv("first_name,email,phone\n''=1+1,bob@,'+61412345678\n".encode())
        result = imports.analyse(source, imports.guess_mapping(source.header), "AU")
        text = "".join(imports.invalid_rows_csv(source, [(p.row, p.column, p.message) for p in result.problems]))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["''=1+1", "bob@", "'+61412345678"]


@given(st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", " ", "a"])))
def test_the_importer_reads_back_every_exported_value(value):
    value = value.strip()  # stored text is trimmed
    assert imports.cell(exports.guard(value)) == value


@given(st.one_of(st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", " ", "a"])), st.text()))
def test_the_invalid_rows_file_reads_as_the_cell_it_came_from(raw):
    assert imports.cell(exports.guard(exports.unguard(raw))) == imports.cell(raw)


# ---- search stays right ---------------------------------------------------------------------------------------


def _triggers() -> dict:
    """SQLite's triggers by name (empty elsewhere)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return {}
    return dict(connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())


def _check_search_tables() -> None:
    """FTS5 compares its index with the table it indexes and raises when they differ (SQLite only)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # rank 1: check the index against the content table too, not only against itself
        connection.exec_driver_sql("INSERT INTO customer_fts(customer_fts, rank) VALUES ('integrity-check', 1)")
        connection.exec_driver_sql("INSERT INTO address_fts(address_fts, rank) VALUES ('integrity-check', 1)")


def test_imported_and_updated_customers_are_found_by_search(app):
    with app.app_context():
        make_customer("Olga", "Oldname", email="olga@example.com", street="1 Old St", city="Parramatta",
                      state="NSW", postcode="2150")
        make_customer("Pia", "Plain", email="pia@example.com")
        db.session.commit()
        before = _triggers()
        import_text("first_name,last_name,email,street,city,state,postcode\n"
                    "Olga,Newname,olga@example.com,9 Quokka Rd,Fremantle,WA,6160\n"
                    "Pia,Plain,pia@example.com,5 Wombat Way,Fitzroy,VIC,3065\n"
                    "Xanthe,Zed,xanthe@example.com,7 Numbat Cres,Subiaco,WA,6008\n", overwrite=True)
        assert _triggers() == before
        _check_search_tables()
        found = {q: [c.full_name for c in customer_page(ListQuery(q=q), "AU", 25).customers]
                 for q in ("newname", "oldname", "xanthe", "pia")}
        assert found == {"newname": ["Olga Newname"], "oldname": [], "xanthe": ["Xanthe Zed"], "pia": ["Pia Plain"]}
        streets = {s.street for s in addresses.suggest("Quokka Rd", country="AU")}
        assert "9 Quokka Rd" in streets
        assert not any("Old St" in s.street for s in addresses.suggest("1 Old St", country="AU"))


def test_a_failed_import_keeps_the_search_triggers(app):
    with app.app_context():
        make_customer("Olga", email="olga@example.com")
        db.session.commit()
        before = _triggers()
        plan = analysis("first_name,email\nNew,new@example.com\nOlga,olga@example.com\n", keep_plan=True)
        make_customer("Racer", email="new@example.com")
        db.session.commit()
        imports.begin_write()
        with pytest.raises(Exception):
            imports.write(plan, None, token="t" * 43, filename="c.csv")
        db.session.rollback()
        assert _triggers() == before
        _check_search_tables()


def test_the_import_connection_gets_its_settings_back(app):
    with app.app_context():
        imports.begin_write()
        connection = db.session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL has no temp_store")
        raw = connection.connection.driver_connection
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2  # memory, for the import's transaction
        db.session.rollback()
        db.session.remove()  # back to the pool
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 0


def _pg_count_triggers() -> set:
    """Enabled segment and location count triggers (PostgreSQL)."""
    return set(db.session.connection().execute(text(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname IN ('segment_count_track', 'location_count_address') AND t.tgenabled <> 'D'")).all())


def _kept_counts() -> tuple:
    """The kept segment and location counts."""
    db.session.expire_all()
    segments = dict(db.session.execute(select(SegmentCount.segment, SegmentCount.customers)).all())
    places = sorted(tuple(r) for r in db.session.execute(select(
        LocationCount.level, LocationCount.country, LocationCount.state, LocationCount.city,
        LocationCount.segment, LocationCount.customers, LocationCount.spent)).all() if r.customers)
    return segments, places


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_kept_counts_stay_right(app, monkeypatch, bulk):
    if bulk:
        monkeypatch.setattr(writing, "BULK_ROWS", 1)  # the big-import path, on a small file
    with app.app_context():
        make_customer("Vera", "Vip", email="vera@example.com", city="Parramatta", state="NSW", postcode="2150",
                      orders_spec=[(200000, "paid")])
        make_customer("Olga", email="olga@example.com", city="Fitzroy", state="VIC", postcode="3065")
        db.session.commit()
        import_text("first_name,email,city,state,postcode\nVera,vera@example.com,Fitzroy,VIC,3065\n"
                    "Olga,olga@example.com,Subiaco,WA,6008\nNew,new@example.com,Parramatta,NSW,2150\n"
                    "Newer,newer@example.com,,,\n")
        kept = _kept_counts()
        stats.recompute_segment_counts()
        insights.rebuild_location_counts()
        db.session.commit()
        assert kept == _kept_counts()
        assert kept[0] == {"vip": 1, "returning": 0, "new": 0, "prospect": 3}
        if db.session.connection().dialect.name == "postgresql":
            assert _pg_count_triggers() == {("customer", "segment_count_track"), ("address", "location_count_address")}


def test_a_failed_big_import_keeps_the_count_triggers(app, monkeypatch):
    monkeypatch.setattr(writing, "BULK_ROWS", 1)
    with app.app_context():
        if db.session.connection().dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite keeps its count triggers throughout")
        before = _pg_count_triggers()
        plan = analysis("first_name,email,city,state,postcode\nNew,new@example.com,Fitzroy,VIC,3065\n", keep_plan=True)
        make_customer("Racer", email="new@example.com")
        db.session.commit()
        counts = _kept_counts()
        imports.begin_write()
        with pytest.raises(Exception):
            imports.write(plan, None, token="t" * 43, filename="c.csv")
        db.session.rollback()
        assert _pg_count_triggers() == before
        assert _kept_counts() == counts
