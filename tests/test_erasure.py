"""Deleting customers without orders and anonymizing those with orders (erasure requests)."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    CUSTOMER_ACTIONS,
    Address,
    AuditEvent,
    Customer,
    DeletedCustomer,
    FollowCode,
    Membership,
    Note,
    Order,
    SegmentCount,
)
from crm.services import audit

from . import factories
from .factories import make_customer
from .html import page


def count(model, *where) -> int:
    """Rows of a model (matching the conditions)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def segment_count(segment: str) -> int:
    """The kept count of a segment."""
    return db.session.get(SegmentCount, segment).customers


@pytest.fixture
def prospect(app):
    """A customer without orders, with an address, a membership, a note and an edit in the trail."""
    with app.app_context():
        customer = make_customer("Dora", "Delete", email="dora@example.test", street="1 Old Rd",
                                 city="Parramatta", state="NSW", postcode="2150")
        factories.membership(customer, "M555")
        factories.note(customer, "Prefers email")
        audit.record(None, "edit", customer, field="Email", old="old@example.test", new="dora@example.test")
        db.session.commit()
        return customer.id


@pytest.fixture
def buyer(app):
    """A customer with two paid orders (one with a note) and a refunded one, plus personal details."""
    with app.app_context():
        customer = make_customer("Alan", "Anon", email="alan@example.test", phone="+61412345678",
                                 whatsapp="+61412345679", company_name="Anon Pty", street="2 New Rd",
                                 city="Westmead", state="NSW", postcode="2145",
                                 orders_spec=[(5000, "paid"), (7000, "paid"), (3000, "refunded")])
        customer.abn = "51824753556"
        customer.password_hash = "scrypt:hash"
        customer.email_marketing = True
        customer.email_marketing_at = datetime.now(timezone.utc)
        factories.membership(customer, "M777", date(2030, 1, 1))
        factories.note(customer, "Lives next to the bakery")
        db.session.scalars(select(Order)).first().note = "Leave with Alan's neighbour Sue"
        db.session.add(FollowCode(email="alan@example.test", code_hash="x" * 64,
                                  expires_at=datetime.now(timezone.utc) + timedelta(minutes=10)))
        audit.record(None, "edit", customer, field="Contact number", old="0412 000 000", new="0412 345 678")
        db.session.commit()
        return customer.id


def test_confirmation_pages(logged_in, prospect, buyer):
    doc = page(logged_in.get(f"/customers/{prospect}/delete"))
    assert doc.heading("Delete Dora Delete?").tag == "h1"
    assert doc.by_id(doc.button("Delete")["form"])["action"] == f"/customers/{prospect}/delete"
    assert "to Recently deleted" in doc.text and "for 30 days" in doc.text and "can't be undone" not in doc.text
    doc = page(logged_in.get(f"/customers/{buyer}/anonymize"))
    assert doc.heading("Anonymize Alan Anon?").tag == "h1" and "can't be undone" in doc.text
    confirm = doc.field("Type Alan Anon to confirm")
    assert doc.by_id(doc.button("Anonymize")["form"]) is confirm.form
    assert doc.find("label", for_=confirm["id"]).find("strong").text == "Alan Anon"
    doc = page(logged_in.get(f"/customers/{buyer}/delete"))
    assert "Customers with orders can't be deleted" in doc.text and not doc.all_by_role("button", "Delete")


def test_profile_offers_delete_only_without_orders(logged_in, prospect, buyer):
    doc = page(logged_in.get(f"/customers/{prospect}"))
    dialog = doc.by_role("dialog", "Delete Dora Delete?")
    assert doc.button("Delete customer")["data-open-dialog"] == dialog["id"]
    assert dialog.heading("Delete Dora Delete?").tag == "h2" and dialog.button("Delete")
    assert not doc.all_by_role("button", "Anonymize")
    doc = page(logged_in.get(f"/customers/{buyer}"))
    delete = doc.button("Delete customer")
    assert "disabled" in delete.attrs and delete.description == "Customers with orders can't be deleted"
    assert not doc.all_by_role("dialog", "Delete Alan Anon?")
    dialog = doc.by_role("dialog", "Anonymize Alan Anon?")
    assert dialog.heading("Anonymize Alan Anon?").tag == "h2"
    opener = [b for b in doc.all_by_role("button", "Anonymize") if b.get("data-open-dialog")]
    assert [b["data-open-dialog"] for b in opener] == [dialog["id"]]


def test_delete_moves_everything_of_theirs_to_recently_deleted(logged_in, app, prospect):
    with app.app_context():
        before = segment_count("prospect")
    response = logged_in.post(f"/customers/{prospect}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/customers"
    doc = page(logged_in.get("/customers"))
    assert "Deleted Dora Delete. They are in Recently deleted for 30 days." in doc.text
    with app.app_context():
        entry_id = db.session.scalar(select(DeletedCustomer.id))
        assert doc.button("Undo").form["action"] == f"/customers/deleted/{entry_id}/restore"
        assert db.session.get(Customer, prospect) is None
        assert count(Address) == count(Membership) == count(Note) == 0
        assert segment_count("prospect") == before - 1
        entry = db.session.scalars(select(DeletedCustomer)).one()
        assert (entry.customer_id, entry.name, entry.email, entry.deleted_by) == (
            prospect, "Dora Delete", "dora@example.test", "owner@shop.test")
        assert entry.data["address"]["street"] == "1 Old Rd" and entry.data["membership"]["membership_id"] == "M555"
        assert [n["body"] for n in entry.data["notes"]] == ["Prefers email"]
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CUSTOMER_ACTIONS))
                                    .order_by(AuditEvent.id)).all()  # the owner's sign-in is not the customer's
        assert [(e.action, e.customer_id, e.subject) for e in events] == [
            ("note", None, "Dora Delete"), ("edit", None, "Dora Delete"), ("delete", None, "Dora Delete")]
        # Kept whole until the purge: a restore brings the trail back with the customer.
        assert events[0].new_value == "Prefers email" and events[1].new_value == "dora@example.test"
        assert events[2].actor == "owner@shop.test"
        assert entry.data["events"] == [e.id for e in events]
    assert logged_in.get(f"/customers/{prospect}").status_code == 404


def test_customer_with_orders_cannot_be_deleted(logged_in, app, buyer):
    response = logged_in.post(f"/customers/{buyer}/delete")
    assert response.status_code == 409
    assert "Customers with orders can't be deleted" in response.get_data(as_text=True)
    with app.app_context():
        customer = db.session.get(Customer, buyer)
        assert customer.email == "alan@example.test" and customer.address is not None
        assert count(AuditEvent, AuditEvent.action == "delete") == 0


def test_anonymize_erases_personal_data_and_keeps_orders(logged_in, app, buyer):
    with app.app_context():
        before = (segment_count("returning"), db.session.get(Customer, buyer).total_spent)
    response = logged_in.post(f"/customers/{buyer}/anonymize", data={"confirm_name": " alan  anon "})
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{buyer}"
    with app.app_context():
        c = db.session.get(Customer, buyer)
        assert (c.first_name, c.last_name) == ("Anonymized", "customer")
        for field in ("email", "phone", "whatsapp", "company_name", "abn", "password_hash", "email_marketing_at"):
            assert getattr(c, field) is None, field
        assert not c.email_marketing and c.address is None and c.membership is None and c.notes == []
        assert c.anonymized_at is not None
        assert (c.order_count, c.total_spent, c.segment) == (2, 12000, "returning")
        assert (segment_count("returning"), c.total_spent) == before
        assert count(Order, Order.customer_id == buyer) == 3 and count(Order, Order.note.is_not(None)) == 0
        assert count(FollowCode) == 0
        assert "alan" not in c.search_text
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.customer_id == buyer)
                                    .order_by(AuditEvent.id)).all()
        assert events[-1].action == "anonymize" and events[-1].actor == "owner@shop.test"
        assert all(e.old_value is None and e.new_value is None for e in events)
        assert all(e.subject == "Anonymized customer" for e in events)
    profile = logged_in.get(f"/customers/{buyer}")
    html, doc = profile.get_data(as_text=True), page(profile)
    assert "Customer anonymized" in html and "Personal data erased on" in html
    assert "alan@example.test" not in html and "Westmead" not in html and "bakery" not in html  # not even in attributes
    assert f"/customers/{buyer}/edit" not in [href for _, href in doc.links()]
    assert not doc.all_by_role("button", "Add note")
    assert "Alan" not in page(logged_in.get("/customers?q=alan")).by_role("main").text


def test_anonymized_customer_cannot_be_edited_or_anonymized_again(logged_in, buyer):
    assert logged_in.post(f"/customers/{buyer}/anonymize", data={"confirm_name": "Alan Anon"}).status_code == 302
    again = logged_in.post(f"/customers/{buyer}/anonymize", data={"confirm_name": "Anonymized customer"})
    assert again.status_code == 409 and "already anonymized" in again.get_data(as_text=True)
    assert logged_in.get(f"/customers/{buyer}/edit").status_code == 409
    assert logged_in.post(f"/customers/{buyer}/notes", data={"body": "Alan called"}).status_code == 409


@pytest.mark.parametrize("typed, message", [
    ("", "Type Alan Anon in the box to confirm. Nothing was changed."),
    ("Alan", "That isn't this customer's name: type Alan Anon exactly as shown to confirm. Nothing was changed."),
])
def test_anonymize_refuses_a_wrong_name_and_changes_nothing(logged_in, app, buyer, typed, message):
    response = logged_in.post(f"/customers/{buyer}/anonymize", data={"confirm_name": typed})
    assert response.status_code == 422
    confirm = page(response).field("Type Alan Anon to confirm")
    assert confirm.invalid and message in confirm.description and confirm.value == typed
    with app.app_context():
        customer = db.session.get(Customer, buyer)
        assert customer.anonymized_at is None and customer.email == "alan@example.test" and customer.notes
        assert count(AuditEvent, AuditEvent.action == "anonymize") == 0


def test_customer_without_orders_is_deleted_not_anonymized(logged_in, app, prospect):
    response = logged_in.post(f"/customers/{prospect}/anonymize")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Customer, prospect).anonymized_at is None


@pytest.mark.parametrize("action", ["delete", "anonymize"])
def test_unknown_customer_is_404(logged_in, action):
    assert logged_in.post(f"/customers/999/{action}").status_code == 404
    assert logged_in.get(f"/customers/999/{action}").status_code == 404
