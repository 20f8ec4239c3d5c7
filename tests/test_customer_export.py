"""The customer list's "Export CSV": the list as filtered, as a download, recorded in the trail."""

import csv
import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent

from .factories import make_customer


def read(response) -> list[dict]:
    """The CSV rows of a download, checking the byte order mark."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_list_has_export_and_import_links(logged_in):
    html = logged_in.get("/customers?segment=vip&q=smith").get_data(as_text=True)
    assert 'href="/customers/export?segment=vip&amp;q=smith"' in html and "Export CSV</a>" in html
    assert 'href="/customers/import"' in html and "Import customers</a>" in html


def test_htmx_swap_updates_the_export_link(logged_in):
    html = logged_in.get("/customers?segment=vip", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="export-csv"' in html and 'hx-swap-oob="true"' in html and "/customers/export?segment=vip" in html
    assert 'hx-swap-oob' not in logged_in.get("/customers?segment=vip").get_data(as_text=True)


def test_export_follows_tab_and_search(logged_in, app):
    with app.app_context():
        make_customer("Vera", "Smith", email="vera@example.test", orders_spec=[(200000, "paid")])
        make_customer("Sam", "Smith", email="=cmd@example.test")
        make_customer("Vic", "Jones", orders_spec=[(200000, "paid")])
        db.session.commit()
    everyone = read(logged_in.get("/customers/export"))
    assert len(everyone) == 3 and list(everyone[0])[:3] == ["id", "first_name", "last_name"]
    smiths = logged_in.get("/customers/export?q=smith")
    assert smiths.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="customers-all-' in smiths.headers["Content-Disposition"]
    assert sorted(r["first_name"] for r in read(smiths)) == ["Sam", "Vera"]
    [vera] = read(logged_in.get("/customers/export?segment=vip&q=smith"))
    assert vera["total_spent"] == "2000.00" and vera["segment"] == "vip"
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "export")).all()
        assert "Customer export: VIP, search “smith”, 1 customer" in details
