"""CSV exports: the contract's columns, UTF-8 with BOM, safe cells, consent, filters, batches, the audit trail."""

import csv
import io
from datetime import date, datetime, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, Customer
from crm.services import exports
from crm.services.customers import Location

from . import factories
from .factories import make_customer
from .html import parse

HEADER = ("id,first_name,last_name,email,phone,whatsapp,company_name,abn,membership_id,membership_expires_on,"
          "street,city,state,postcode,country,segment,order_count,total_spent,last_order_at,email_marketing,"
          "sms_marketing,source,created_at,tags")


def read(text: str) -> list[dict[str, str]]:
    """The data rows of an export, by column name (the BOM already checked and removed)."""
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def export_text(app, which: exports.ExportFilter, batch: int = exports.BATCH) -> str:
    """The whole export as one string."""
    with app.app_context():
        return "".join(exports.rows(which, "AU", "AUD", batch=batch))


@pytest.fixture
def people(app):
    """Customers with and without consent, in different segments, with awkward text."""
    with app.app_context():
        vera = make_customer("Vera", "Vip", email="vera@example.com", phone="+61412345678",
                             whatsapp="+61412345678", company_name="Vera's Shop", street="1 George St",
                             city="Parramatta", state="NSW", postcode="2150",
                             created_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
        factories.order(vera, 110_000, number="E1", placed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
        vera.email_marketing = True
        factories.membership(vera, "M123", date(2027, 1, 31))
        evil = make_customer("=HYPERLINK(\"http://x\")", "+SUM(1)", email="evil@example.com",
                             company_name="@cmd", city="-Town", state="\tTab", street="\rReturn",
                             orders_spec=[(200_000, "paid")])
        evil.email_marketing = True
        make_customer("Nora", "NoConsent", email="nora@example.com", orders_spec=[(150_000, "paid")])
        no_email = make_customer("Ned", "NoEmail", orders_spec=[(120_000, "paid")])
        no_email.email_marketing = True
        prospect = make_customer("Zoë", "Ångström", email="zoe@example.com")
        prospect.email_marketing = True
        db.session.commit()


def test_bom_header_and_one_row_per_customer(app, people):
    text = export_text(app, exports.ExportFilter())
    assert text.startswith("\ufeff" + HEADER + "\r\n")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbfid,first_name,")
    rows = read(text)
    assert len(rows) == 5 and list(rows[0]) == list(exports.COLUMNS)
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)


def test_values_dates_and_money(app, people):
    rows = read(export_text(app, exports.ExportFilter(q="vera")))
    assert len(rows) == 1
    vera = rows[0]
    assert vera["first_name"] == "Vera" and vera["email"] == "vera@example.com"
    assert vera["phone"] == "'+61412345678" and vera["whatsapp"] == "'+61412345678"  # E.164 kept as text
    assert vera["company_name"] == "Vera's Shop"
    assert (vera["membership_id"], vera["membership_expires_on"]) == ("M123", "2027-01-31")
    assert (vera["street"], vera["city"], vera["state"], vera["postcode"], vera["country"]) == (
        "1 George St", "Parramatta", "NSW", "2150", "AU")
    assert (vera["segment"], vera["order_count"], vera["total_spent"]) == ("vip", "1", "1100.00")
    assert vera["last_order_at"] == "2026-01-02T03:04:05Z"
    assert vera["created_at"] == "2025-03-04T05:06:07Z"
    assert (vera["email_marketing"], vera["source"]) == ("true", "manual")
    prospect = read(export_text(app, exports.ExportFilter(segment="prospect")))[0]
    assert prospect["first_name"] == "Zoë" and prospect["last_name"] == "Ångström"  # UTF-8 as typed
    assert (prospect["total_spent"], prospect["last_order_at"], prospect["order_count"]) == ("0.00", "", "0")
    assert prospect["street"] == prospect["membership_id"] == ""


def test_cells_that_would_run_as_formulas_are_neutralised(app, people):
    evil = read(export_text(app, exports.ExportFilter(q="evil")))[0]
    assert evil["first_name"] == "'=HYPERLINK(\"http://x\")"
    assert evil["last_name"] == "'+SUM(1)"
    assert evil["company_name"] == "'@cmd"
    assert evil["city"] == "'-Town"
    assert evil["state"] == "'\tTab"
    assert evil["street"] == "'\rReturn"
    assert evil["total_spent"] == "2000.00"
    assert [exports.guard(v) for v in ("=1", "+1", "-1", "@a", "\t", "\r", "a=1", "", "'=", "''", "'", "'Tis",
                                       "O'Brien")] == [
        "'=1", "'+1", "'-1", "'@a", "'\t", "'\r", "a=1", "", "''=", "'''", "'", "'Tis", "O'Brien"]


# Text made mostly of what the guard looks at, so the starts that matter come up often.
awkward_text = st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", " ", "a", "T", "1", "é"]))
any_text = st.one_of(awkward_text, st.text())


@given(any_text)
def test_unguard_reads_back_every_guarded_value(value):
    assert exports.unguard(exports.guard(value)) == value


@given(any_text)
def test_a_guarded_cell_never_starts_like_a_formula(value):
    assert not exports.guard(value).startswith(exports.FORMULA_STARTS)


@given(any_text)
def test_text_that_needs_no_guard_is_left_alone(value):
    # Ordinary text ("'Tis", "O'Brien") is written and read as it is, also from files crm didn't write.
    assume(not value.startswith(exports.FORMULA_STARTS))
    assume(not (value.startswith("'") and value[1:].startswith((*exports.FORMULA_STARTS, "'"))))
    assert exports.guard(value) == value and exports.unguard(value) == value


def test_email_marketing_keeps_customers_who_consented_and_have_an_email(app, people):
    rows = read(export_text(app, exports.ExportFilter(consent_only=True)))
    assert sorted(r["last_name"] for r in rows) == ["'+SUM(1)", "Vip", "Ångström"]
    assert all(r["email_marketing"] == "true" and r["email"] for r in rows)
    vips = read(export_text(app, exports.ExportFilter(segment="vip", consent_only=True)))
    assert sorted(r["first_name"] for r in vips) == ["'=HYPERLINK(\"http://x\")", "Vera"]
    with app.app_context():
        assert exports.count(exports.ExportFilter(segment="vip", consent_only=True), "AU") == 2
        assert exports.count(exports.ExportFilter(segment="vip"), "AU") == 4


def test_filters_by_search_and_place(app, people):
    assert [r["first_name"] for r in read(export_text(app, exports.ExportFilter(location=Location("AU", "NSW"))))] \
        == ["Vera"]
    assert read(export_text(app, exports.ExportFilter(q="vera", location=Location(city="Bondi")))) == []
    assert len(read(export_text(app, exports.ExportFilter(segment="nonsense")))) == 5


@pytest.mark.parametrize("batch", [1, 2, 4, 5, 1000])
def test_batches_read_every_customer_once_in_id_order(app, people, batch):
    with app.app_context():
        chunks = list(exports.rows(exports.ExportFilter(), "AU", "AUD", batch=batch))
        ids = sorted(db.session.scalars(select(Customer.id)))
    assert len(chunks) >= 1 + 5 // batch  # the header, then a chunk per batch
    assert [int(r["id"]) for r in read("".join(chunks))] == ids


def test_empty_export_is_a_header(app):
    assert export_text(app, exports.ExportFilter(consent_only=True)) == "\ufeff" + HEADER + "\r\n"


def test_download_for_email_marketing_records_the_export(app, logged_in, people):
    response = logged_in.get("/insights/export?segment=vip")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="email-marketing-vip-') and disposition.endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    rows = read(response.get_data(as_text=True))
    assert sorted(r["first_name"] for r in rows) == ["'=HYPERLINK(\"http://x\")", "Vera"]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert event.detail == "Email marketing export: VIP, 2 customers"
        assert event.actor == "owner@shop.test" and event.customer_id is None


@pytest.mark.parametrize(("query", "label", "count"), [
    ("segment=prospect", "Prospect", 1), ("segment=new", "New", 0), ("", "All customers", 3),
    ("segment=bogus", "All customers", 3),
])
def test_download_of_other_segments(app, logged_in, people, query, label, count):
    response = logged_in.get(f"/insights/export?{query}")
    assert response.status_code == 200 and len(read(response.get_data(as_text=True))) == count
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert event.detail == f"Email marketing export: {label}, {count} customer{'' if count == 1 else 's'}"


def test_the_insights_page_offers_the_export(logged_in, people):
    doc = parse(logged_in.get("/insights").get_data())
    form = doc.button("Export for email marketing").form
    assert (form["method"], form["action"]) == ("get", "/insights/export")
    segment = form.field("Segment to export")
    assert segment.value == "vip" and segment.find("option", selected=True).text == "VIP"
    assert form.form_data() == {"segment": "vip"}
