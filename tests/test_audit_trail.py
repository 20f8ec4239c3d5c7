"""The shop-wide audit trail page: every event, filtered by action, person and the shop's days."""

from datetime import datetime, timezone

import pytest

from crm.extensions import db
from crm.models import AuditEvent
from crm.services import audit

from .factories import make_customer
from .html import parse


@pytest.fixture
def logged_in(logged_in, app):
    """The owner's client, the trail emptied of the sign-in itself (tests/test_account_trail.py covers it)."""
    with app.app_context():
        db.session.execute(db.delete(AuditEvent))
        db.session.commit()
    return logged_in


@pytest.fixture
def trail(app):
    """Events by two people over three days, about two customers (one since deleted)."""
    with app.app_context():
        anna = make_customer("Anna", "Smith")
        db.session.flush()
        rows = [
            ("owner@shop.test", "create", anna, None, datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)),
            ("owner@shop.test", "edit", anna, "Last name", datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)),
            ('API token "Checkout"', "order", anna, None, datetime(2026, 11, 2, 13, 30, tzinfo=timezone.utc)),
            ("staff@shop.test", "export", None, None, datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)),
        ]
        for actor, action, customer, field, when in rows:
            event = audit.record(None, action, customer, field=field, old="Smyth" if field else None,
                                 new="Smith" if field else None, detail="Order 1001 paid" if action == "order"
                                 else None, actor=actor)
            event.occurred_at = when
        deleted = AuditEvent(actor="owner@shop.test", action="delete", subject="Gone Person",
                             occurred_at=datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc))
        db.session.add(deleted)
        db.session.commit()
        return anna.id


def rows(html: str) -> int:
    """Event rows in the results table."""
    return html.count("<time datetime=")


def test_nav_links_to_the_trail(logged_in):
    html = logged_in.get("/customers").get_data(as_text=True)
    assert parse(html).by_role("navigation", "Main").link("Audit trail")["href"] == "/audit"


def test_whole_trail_newest_first(logged_in, trail):
    html = logged_in.get("/audit").get_data(as_text=True)
    doc = parse(html)
    assert doc.heading("Audit trail").tag == "h1" and rows(html) == 5
    table = html[html.index("<tbody>"):]
    assert table.index("Gone Person") < table.index("Exported") < table.index("Order 1001 paid")
    assert {href for name, href in doc.links() if name == "Anna Smith"} == {f"/customers/{trail}"}
    assert "Last name:" in doc.text and "Smyth" in html
    for label in ("Action", "Person", "From", "To"):
        assert doc.field(label), label
    assert 'API token "Checkout"' in [option.text for option in doc.field("Person").find_all("option")]


@pytest.mark.parametrize(("args", "expected"), [
    ("action=edit", 1), ("action=order", 1), ("action=delete", 1), ("person=staff%40shop.test", 1),
    ("person=owner%40shop.test", 3), ("from=2026-11-02", 4), ("to=2026-11-01", 1),
    # 2 Nov 13:30 UTC is already 3 Nov in Sydney: the shop's days count
    ("from=2026-11-03&to=2026-11-03", 3), ("action=bogus", 5), ("from=not-a-date", 5), ("page=abc", 5),
    # the calendar's ends are ignored like other bad values; a name loses its control characters, as every
    # text argument does (crm/urlargs.py), and "owner" is no one's whole address
    ("to=9999-12-31", 5), ("from=0001-01-01", 5), ("from=0001-01-02&to=9999-12-30", 5), ("person=owner%00", 0),
    ("person=owner@shop.test%00", 3),
])
def test_filters(logged_in, trail, args, expected):
    response = logged_in.get(f"/audit?{args}")
    assert response.status_code == 200
    assert rows(response.get_data(as_text=True)) == expected


def test_htmx_gets_the_results_and_a_clean_url(logged_in, trail):
    response = logged_in.get("/audit?action=edit&person=&from=&to=", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="audit-results"' in html and rows(html) == 1
    assert response.headers["HX-Push-Url"] == "/audit?action=edit"


def test_empty_trail(logged_in):
    html = logged_in.get("/audit").get_data(as_text=True)
    assert "Nothing has happened yet" in html
    assert "Nothing matches these filters." in logged_in.get("/audit?action=edit").get_data(as_text=True)


def test_pages(logged_in, app):
    with app.app_context():
        for _ in range(51):
            audit.record(None, "export", None, actor="owner@shop.test")
        db.session.commit()
    first = logged_in.get("/audit").get_data(as_text=True)
    assert rows(first) == 50 and "Page 1 of 2" in first and 'href="/audit?page=2"' in first
    assert rows(logged_in.get("/audit?page=2").get_data(as_text=True)) == 1
