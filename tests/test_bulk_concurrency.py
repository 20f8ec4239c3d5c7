"""Bulk actions raced: the same action on the same customers sent by several people at once (a double click, two
tabs, two members). Each action reads its customers only once it holds the write lock (SQLite's BEGIN IMMEDIATE,
PostgreSQL's kept-count locks that every customer write takes), so each customer is changed once, with one trail
entry, and no request answers a 5xx."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import AuditEvent, Customer, DeletedCustomer, utcnow

from .conftest import OWNER_EMAIL, OWNER_PASSWORD
from .factories import make_customer

pytestmark = pytest.mark.concurrency

AT_ONCE = 6
CUSTOMERS = 40
ALL = MultiDict([("list", ""), ("all", "1"), ("confirmed", "1")])


@pytest.fixture
def crowd(app, owner):
    """Customers without orders, all subscribed, and AT_ONCE clients logged in as the owner."""
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    with app.app_context():
        for i in range(CUSTOMERS):
            customer = make_customer(f"Rae{i:02d}", "Race", email=f"rae{i}@example.test")
            customer.email_marketing, customer.email_marketing_at = True, utcnow()
        db.session.commit()
    clients = [app.test_client() for _ in range(AT_ONCE)]
    for client in clients:
        assert client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 302
    return clients


def race(clients, path: str) -> list[int]:
    """Every client posts the same action on all matching at the same moment; their statuses."""
    start = threading.Barrier(len(clients))

    def send(client):
        start.wait()
        return client.post(path, data=ALL).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(send, clients))


def count(stmt) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def test_deleting_the_same_customers_at_once_deletes_each_once(app, crowd):
    statuses = race(crowd, "/customers/bulk/delete")
    # Done (back to the list), or nothing left to delete by the time it looked.
    assert set(statuses) <= {303, 422} and 303 in statuses, statuses
    with app.app_context():
        assert count(select(Customer.id)) == 0
        assert count(select(DeletedCustomer.id)) == CUSTOMERS
        assert count(select(AuditEvent.id).where(AuditEvent.action == "delete")) == CUSTOMERS
        changed = [event.detail for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bulk"))]
        assert sum(detail.startswith(f"Delete: {CUSTOMERS} customers changed") for detail in changed) == 1


def test_turning_off_email_marketing_at_once_leaves_one_trail_entry_per_customer(app, crowd):
    statuses = race(crowd, "/customers/bulk/unsubscribe")
    assert set(statuses) == {303}, statuses
    with app.app_context():
        assert count(select(Customer.id).where(Customer.email_marketing.is_(True))) == 0
        edits = select(AuditEvent.customer_id).where(AuditEvent.action == "edit", AuditEvent.field == "Email marketing")
        assert count(edits) == CUSTOMERS
        assert count(edits.distinct()) == CUSTOMERS
