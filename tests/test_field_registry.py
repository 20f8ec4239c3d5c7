"""The customer field registry is the one place a field is declared: the form, the export, the trail and
anonymizing all follow it (docs/architecture.md, "Add a customer field")."""

import csv
import html
import io
import re

import pytest
from sqlalchemy import select

from crm.customers import checks, fields, writer
from crm.extensions import db
from crm.imports.rules import IMPORT_ONLY
from crm.models import AuditEvent, Customer
from crm.services import exports
from crm.services.shop import get_settings

from .factories import make_customer

# A value of each field as someone types it, and a second one to change it to.
TYPED = {
    "first_name": ("Ada", "Adaline"), "last_name": ("Lovelace", "King"), "email": ("ada@example.test", "k@example.test"),
    "phone": ("0412 345 678", "0412 345 679"), "whatsapp": ("0413 345 678", "0413 345 679"),
    "company_name": ("Engines Pty Ltd", "Analytical Pty Ltd"), "abn": ("51 824 753 556", "53 004 085 616"),
    "membership_id": ("KG-1", "KG-2"), "membership_expires_on": ("2030-01-31", "2031-01-31"),
    "street": ("1 Main St", "2 Main St"), "city": ("Parramatta", "Penrith"), "state": ("NSW", "VIC"),
    "postcode": ("2150", "3000"), "country": ("AU", "AU"), "email_marketing": ("y", ""),
    "sms_marketing": ("yes", ""),
}


@pytest.fixture
def every_part_on(app):
    """A shop with B2B and Membership on, so the form shows every registry field."""
    with app.app_context():
        shop = get_settings()
        shop.b2b_enabled = shop.membership_enabled = True
        db.session.commit()


def form_data(which: int) -> dict:
    """The customer form posted with every field typed (the first or the second value of each)."""
    data = {fields.BY_KEY[key].name: values[which] for key, values in TYPED.items()}
    return {k: v for k, v in data.items() if v}


def test_every_field_has_a_typed_example():
    assert set(TYPED) == set(fields.BY_KEY)


def test_every_field_is_in_the_form(logged_in, every_part_on):
    html = logged_in.get("/customers/new").get_data(as_text=True)
    for field in fields.FIELDS:
        assert f'for="{field.name}">{field.label}</label>' in html, field.key
        assert f'name="{field.name}"' in html, field.key


def test_every_field_is_an_export_column():
    assert [c for c in exports.COLUMNS if c in fields.BY_KEY] == [f.key for f in exports.PROFILE_FIELDS
                                                                  + exports.CONSENT_FIELDS]
    assert set(fields.BY_KEY) <= set(exports.COLUMNS)


def test_every_field_reads_back_from_the_form_export_and_edit_form(logged_in, app, every_part_on):
    assert logged_in.post("/customers/new", data=form_data(0)).status_code == 302
    text = logged_in.get("/customers/export").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    with app.app_context():
        customer = db.session.scalars(select(Customer)).one()
        stored = writer.current_values(customer)
        where = fields.Where(region="AU", country="AU")
        for key, (typed, _later) in TYPED.items():
            expected = fields.BY_KEY[key].read(typed, where)
            assert stored[key] == expected, key
            cell = exports.unguard(row[key])
            assert cell == ("true" if expected is True else str(expected)), key


def test_every_changed_field_is_in_the_trail_with_old_and_new(logged_in, app, every_part_on):
    logged_in.post("/customers/new", data=form_data(0))
    with app.app_context():
        customer_id = db.session.scalars(select(Customer.id)).one()
    assert logged_in.post(f"/customers/{customer_id}/edit", data=form_data(1)).status_code == 302
    with app.app_context():
        edits = {e.field: (e.old_value, e.new_value)
                 for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit"))}
    changed = {key for key, (first, second) in TYPED.items() if first != second}
    assert {fields.BY_KEY[key].label for key in changed} == set(edits)
    assert edits["Contact number"] == ("0412 345 678", "0412 345 679")
    assert edits["Email marketing"] == ("Yes", "No")


def test_anonymizing_erases_every_field_marked_erased(app):
    with app.app_context():
        customer = make_customer("Ada", "Lovelace", email="ada@example.test", phone="+61412345678",
                                 city="Parramatta", state="NSW", postcode="2150", orders_spec=[(100, "paid")])
        from crm.services import erasure

        erasure.anonymize_customer(customer, None)
        values = writer.current_values(customer)
        for field in fields.FIELDS:
            if field.erased and field.key not in ("first_name", "last_name"):
                assert values[field.key] in (None, False), field.key


def test_sections_hold_every_field_and_the_checks_refuse_control_characters():
    assert {f.section for f in fields.FIELDS} <= set(fields.SECTIONS)
    with pytest.raises(checks.Invalid, match="control characters"):
        fields.BY_KEY["street"].read("1 Main\x00St", fields.Where("AU", "AU"))


# Values that change every field of a customer made with TYPED's first values (the address moves country).
CHANGED = {**{key: values[1] for key, values in TYPED.items()}, "street": "5 Jalan Ampang", "city": "Kuala Lumpur",
           "state": "Selangor", "postcode": "50450", "country": "MY"}


def _import_choices(client, app, tmp_path) -> list[list[tuple[str, str, bool]]]:
    """The "Import as" options of each column, as the check page renders them, for a file whose header is
    every registry field by key: (value, name, selected) without "Don't import"."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    data = (",".join(fields.BY_KEY) + "\n" + ",".join(values[0] for values in TYPED.values()) + "\n").encode()
    uploaded = client.post("/customers/import", data={"file": (io.BytesIO(data), "every-field.csv")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    selects = re.findall(r'<select id="map-\d+".*?</select>', page, re.S)
    options = r'<option value="([^"]+)"( selected)?>([^<]*)</option>'
    return [[(key, html.unescape(name), bool(selected)) for key, selected, name in re.findall(options, select)]
            for select in selects]


def test_every_field_reaches_the_form_the_import_the_export_and_the_trail(logged_in, app, every_part_on,
                                                                           tmp_path):
    """The "add a field" recipe: an entry in the registry is enough for each way a field is shown."""
    form = logged_in.get("/customers/new").get_data(as_text=True)
    for field in fields.FIELDS:
        assert f'for="{field.name}">{field.label}</label>' in form, field.key
    # The import offers every field by its choice label in the registry's order (then its own targets, a
    # second street line and a note, which are no customer field), and a file with the export's column names
    # maps each column to its field.
    choices = _import_choices(logged_in, app, tmp_path)
    assert len(choices) == len(fields.FIELDS)
    for i, column in enumerate(choices):
        assert [(key, name) for key, name, _ in column] == ([(f.key, f.choice_label) for f in fields.FIELDS]
                                                            + list(IMPORT_ONLY.items()))
        assert [key for key, _, selected in column if selected] == [fields.FIELDS[i].key]
    # The export has a column for every field, and the trail names every changed field by its label.
    assert logged_in.post("/customers/new", data=form_data(0)).status_code == 302
    export = logged_in.get("/customers/export").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert [c for c in header if c in fields.BY_KEY] == [f.key for f in exports.PROFILE_FIELDS
                                                         + exports.CONSENT_FIELDS]
    assert set(fields.BY_KEY) <= set(header)
    with app.app_context():
        customer_id = db.session.scalars(select(Customer.id)).one()
    changed = {fields.BY_KEY[key].name: value for key, value in CHANGED.items() if value}
    assert logged_in.post(f"/customers/{customer_id}/edit", data=changed).status_code == 302
    with app.app_context():
        trail = set(db.session.scalars(select(AuditEvent.field).where(AuditEvent.action == "edit")))
    assert trail == {f.label for f in fields.FIELDS}
