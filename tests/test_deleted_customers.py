"""Recently deleted: deleting moves a customer out of every list, count, search, export, insight and match for
30 days; Undo or "Restore <name>" puts them back whole; the purge removes them for good after 30 days."""

import csv
import io
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select, text

from crm import imports
from crm.extensions import db
from crm.models import AuditEvent, Customer, DeletedCustomer, Membership, Note, SegmentCount, utcnow
from crm.services import audit, deleted, erasure, insights, stats, tokens

from .conftest import make_customer
from .html import parse
from .test_api import Api, order_body, with_customer


@pytest.fixture
def dora(app):
    """A customer without orders, with an address, a membership, a note and an edit in the trail."""
    with app.app_context():
        customer = make_customer("Dora", "Delete", email="dora@example.test", phone="+61412345678",
                                 street="1 Old Rd", city="Parramatta", state="NSW", postcode="2150")
        customer.membership = Membership(membership_id="M555")
        customer.notes.append(Note(body="Prefers email"))
        audit.record(None, "edit", customer, field="Email", old="old@example.test", new="dora@example.test")
        make_customer("Vera", "Stays", email="vera@example.test", city="Parramatta", state="NSW",
                      orders_spec=[(5000, "paid")])
        db.session.commit()
        return customer.id


def delete(client, customer_id: int) -> int:
    """Delete through the profile's form; the id of the customer's entry in Recently deleted."""
    assert client.post(f"/customers/{customer_id}/delete").status_code == 302
    return db.session.scalar(select(DeletedCustomer.id).where(DeletedCustomer.customer_id == customer_id))


def kept_counts() -> tuple:
    """The segment counts and the place counts the triggers keep, without empty rows."""
    db.session.expire_all()
    segments = dict(db.session.execute(select(SegmentCount.segment, SegmentCount.customers)).all())
    places = sorted(tuple(row) for row in db.session.execute(text(
        "SELECT level, country, state, city, segment, customers, spent FROM location_count "
        "WHERE customers <> 0 OR spent <> 0")))
    return segments, places


def counts_agree_with_a_rebuild() -> None:
    """What recompute-stats would rebuild is what the triggers kept."""
    kept = kept_counts()
    assert stats.recompute_segment_counts() == []
    insights.rebuild_location_counts()
    db.session.flush()
    assert kept_counts() == kept
    db.session.rollback()


def test_the_list_links_to_an_empty_recently_deleted(logged_in):
    assert parse(logged_in.get("/customers").get_data()).link("Recently deleted")["href"] == "/customers/deleted"
    response = logged_in.get("/customers/deleted")
    doc = parse(response.get_data())
    assert response.status_code == 200 and doc.heading("Recently deleted").tag == "h1"
    assert doc.heading("No recently deleted customers")


def test_delete_lists_them_with_a_restore_button(app, logged_in, dora):
    with app.app_context():
        before = kept_counts()
        entry_id = delete(logged_in, dora)
        segments, places = kept_counts()
        assert segments["prospect"] == before[0]["prospect"] - 1 and places != before[1]
        counts_agree_with_a_rebuild()
    doc = parse(logged_in.get("/customers/deleted").get_data())
    table = doc.by_role("table", "Recently deleted customers")
    row, = [row for row in table.all_by_role("row") if row.find("td")]
    assert row.find("td").text == "Dora Delete" and "dora@example.test" in row.text and "by owner@shop.test" in row.text
    assert row.button("Restore Dora Delete").form["action"] == f"/customers/deleted/{entry_id}/restore"
    assert logged_in.get("/customers/deleted?page=2").status_code == 200


def test_undo_restores_everything_and_the_counts(app, logged_in, dora):
    with app.app_context():
        before = kept_counts()
        entry_id = delete(logged_in, dora)
    listed = parse(logged_in.get("/customers").get_data())
    assert "Deleted Dora Delete." in listed.text
    assert listed.button("Undo").form["action"] == f"/customers/deleted/{entry_id}/restore"
    response = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{dora}"
    profile = logged_in.get(f"/customers/{dora}").get_data(as_text=True)
    assert "Restored Dora Delete" in profile and "1 Old Rd" in profile and "Prefers email" in profile
    assert "old@example.test" in profile  # the trail is linked again, values and all
    with app.app_context():
        assert db.session.get(Customer, dora).membership.membership_id == "M555"
        assert kept_counts() == before
        counts_agree_with_a_rebuild()
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 0
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.customer_id == dora)
                                    .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["edit", "delete", "restore"]
        assert events[-1].actor == "owner@shop.test"
        assert events[-1].detail == "Back from Recently deleted with their address, membership and notes"
    assert "Dora Delete" in parse(logged_in.get("/customers?q=dora").get_data()).by_role("main").text
    trail = parse(logged_in.get("/audit?action=restore").get_data())
    assert "Restored" in trail.text and f"/customers/{dora}" in [href for _, href in trail.links()]


def test_restore_under_a_new_id_when_theirs_is_taken(app, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
        # SQLite hands the highest id out again; the trail must follow the customer, not the number.
        db.session.add(Customer(id=dora, first_name="Newcomer", source="manual"))
        db.session.commit()
    response = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    assert response.status_code == 302
    with app.app_context():
        restored = db.session.scalars(select(Customer).where(Customer.email == "dora@example.test")).one()
        assert restored.id != dora and restored.address.street == "1 Old Rd"
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.customer_id == restored.id)
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["edit", "delete", "restore"]
        assert db.session.get(Customer, dora).first_name == "Newcomer"
        counts_agree_with_a_rebuild()


def test_unknown_entries_are_404_and_restore_is_post_only(logged_in):
    assert logged_in.post("/customers/deleted/999/restore").status_code == 404
    assert logged_in.get("/customers/deleted/999/restore").status_code == 405
    assert logged_in.post("/customers/deleted").status_code == 405


def test_the_pages_need_a_login(client, dora):
    assert client.get("/customers/deleted").status_code == 302
    assert client.post("/customers/deleted/1/restore").status_code == 302


def test_a_csrf_token_is_needed(app, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert logged_in.post(f"/customers/deleted/{entry_id}/restore").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert db.session.get(DeletedCustomer, entry_id) is not None


# ---- deleted customers are nowhere --------------------------------------------------------------------------


def test_nowhere_in_list_counts_search_export_or_insights(app, logged_in, dora):
    with app.app_context():
        delete(logged_in, dora)
    results = parse(logged_in.get("/customers").get_data()).by_id("customer-results").text
    assert "Dora Delete" not in results and "Vera Stays" in results
    assert "No customers match" in logged_in.get("/customers?q=dora").get_data(as_text=True)
    assert "No customers match" in logged_in.get("/customers?q=0412345678").get_data(as_text=True)
    tabs = unescape(logged_in.get("/customers?segment=prospect&city=Parramatta&state=NSW&country=AU")
                    .get_data(as_text=True))
    assert "No Prospect customers in Parramatta, NSW" in tabs
    export = logged_in.get("/customers/export").get_data(as_text=True)
    assert "Dora" not in export and "Vera" in export
    marketing = logged_in.get("/insights/export?segment=all").get_data(as_text=True)
    assert "Dora" not in marketing
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "of 1 customer " in html
    with app.app_context():
        split = insights.segment_split()
        assert split.total == 1 and split.counts["prospect"] == 0
        places = insights.top_places("city", "customers")
        assert [(p.city, p.customers) for p in places] == [("Parramatta", 1)]


def test_the_form_takes_a_deleted_customers_email(app, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    check = logged_in.get("/customers/check/email?email=DORA@example.test", headers={"HX-Request": "true"})
    assert "already exists" not in check.get_data(as_text=True)
    assert "Another customer has this number" not in logged_in.get(
        "/customers/check/phone?phone=0412345678", headers={"HX-Request": "true"}).get_data(as_text=True)
    response = logged_in.post("/customers/new", data={"first_name": "Dora", "last_name": "Again",
                                                      "email": "dora@example.test", "membership_id": "M555"})
    assert response.status_code == 302, response.get_data(as_text=True)
    # Now the restore is refused, saying who is in the way and what to do, and changes nothing.
    refused = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    alert = parse(refused.get_data()).by_role("alert")
    assert refused.status_code == 409
    assert ("Dora Delete can't be restored: another customer, Dora Again, now has the email dora@example.test. "
            "Change or remove that customer's email") in alert.text
    with app.app_context():
        again = db.session.scalars(select(Customer.id).where(Customer.last_name == "Again")).one()
    assert alert.link("Open Dora Again")["href"] == f"/customers/{again}"
    with app.app_context():
        assert db.session.get(DeletedCustomer, entry_id) is not None
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2
        counts_agree_with_a_rebuild()


def test_a_membership_id_in_use_refuses_the_restore(app, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
        other = make_customer("Mo", "Member")
        other.membership = Membership(membership_id="M555")
        db.session.commit()
    refused = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    html = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "another customer, Mo Member, now has the membership ID M555. Give that customer another ID" in html


@pytest.fixture
def api(app, client) -> Api:
    """The order API with a valid token."""
    with app.app_context():
        _, raw = tokens.create_token("Checkout")
        db.session.commit()
    return Api(client, raw)


def test_an_order_for_a_deleted_email_makes_a_new_customer(app, logged_in, dora, api):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    response = api.post(with_customer(order_body("D-1"), email="DORA@example.test", phone=None))
    assert response.status_code == 201 and response.json["customer_created"] is True
    assert response.json["customer_id"] != dora
    refused = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    assert refused.status_code == 409
    assert "another customer, Anna Nguyen, now has the email" in unescape(refused.get_data(as_text=True))
    with app.app_context():
        counts_agree_with_a_rebuild()


def test_an_order_for_a_deleted_number_makes_a_new_customer_and_restore_warns(app, logged_in, dora, api):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    response = api.post(with_customer(order_body("D-2"), email=None, phone="0412 345 678", first_name="Dee"))
    assert response.status_code == 201 and response.json["customer_created"] is True
    # A shared number is allowed: the restore goes ahead and says so.
    response = logged_in.post(f"/customers/deleted/{entry_id}/restore")
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{dora}"
    profile = unescape(logged_in.get(response.headers["Location"]).get_data(as_text=True))
    assert "Restored Dora Delete" in profile
    assert "Another customer now has Dora Delete's contact number: Dee Nguyen." in profile
    with app.app_context():
        counts_agree_with_a_rebuild()


def test_the_import_makes_a_new_customer_for_a_deleted_email(app, logged_in, dora):
    with app.app_context():
        delete(logged_in, dora)
        source = imports.read_csv(b"first_name,last_name,email,phone\nDora,Imported,dora@example.test,0412345678\n")
        plan = imports.analyse(source, imports.guess_mapping(source.header), "AU", keep_plan=True)
        assert (plan.create, plan.update) == (1, 0)
        imports.begin_write()
        imports.write(plan, None, token="t" * 43, filename="customers.csv")
        db.session.commit()
        imported = db.session.scalars(select(Customer).where(Customer.email == "dora@example.test")).one()
        assert (imported.last_name, imported.source) == ("Imported", "import") and imported.id != dora
        counts_agree_with_a_rebuild()


# ---- the purge ----------------------------------------------------------------------------------------------


def test_purge_after_30_days_only(app, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
        deleted_at = db.session.get(DeletedCustomer, entry_id).deleted_at
        assert deleted.purge(deleted_at + timedelta(days=29, hours=23)) == []
        assert deleted.purge(deleted_at + timedelta(days=30)) == ["Dora Delete"]
        db.session.commit()
        assert db.session.get(DeletedCustomer, entry_id) is None
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        edit = next(e for e in events if e.action == "edit")
        assert (edit.subject, edit.old_value, edit.new_value, edit.customer_id) == ("Dora Delete", None, None, None)
        purge = events[-1]
        assert (purge.action, purge.actor, purge.subject, purge.customer_id) == (
            "purge", "System", "Dora Delete", None)
        assert purge.detail == "Removed for good from Recently deleted, 30 days after it was deleted"
        counts_agree_with_a_rebuild()
    trail = logged_in.get("/audit?action=purge").get_data(as_text=True)
    assert "Removed for good" in trail and "Dora Delete" in trail
    assert "No recently deleted customers" in logged_in.get("/customers/deleted").get_data(as_text=True)


def test_purge_command_with_the_clock_moved_on(app, runner, logged_in, dora, monkeypatch):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Nothing to remove" in result.output
    later = utcnow() + timedelta(days=31)
    monkeypatch.setattr(deleted, "utcnow", lambda: later)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Removed 1 customer for good" in result.output
    with app.app_context():
        assert db.session.get(DeletedCustomer, entry_id) is None


def test_purge_all_empties_the_bin_now(app, runner, logged_in, dora):
    with app.app_context():
        delete(logged_in, dora)
    result = runner.invoke(args=["purge", "--all"])
    assert result.exit_code == 0 and "Removed 1 customer for good" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 0


def test_recompute_stats_agrees_after_delete_restore_and_purge(app, runner, logged_in, dora):
    with app.app_context():
        entry_id = delete(logged_in, dora)
    logged_in.post(f"/customers/deleted/{entry_id}/restore")
    with app.app_context():
        entry = erasure.delete_customer(db.session.get(Customer, dora), None)
        db.session.commit()
        deleted.purge(entry.deleted_at + timedelta(days=31))
        db.session.commit()
    result = runner.invoke(args=["recompute-stats"])
    assert result.exit_code == 0 and "All customer figures were right" in result.output, result.output


def test_the_delete_dialog_and_flash(app, logged_in, dora):
    html = logged_in.get(f"/customers/{dora}").get_data(as_text=True)
    assert "to Recently deleted. You can" in html
    response = logged_in.post(f"/customers/{dora}/delete", follow_redirects=True)
    status = parse(response.get_data()).by_role("status")
    assert "Deleted Dora Delete. They are in Recently deleted for 30 days." in status.text
    csv_rows = list(csv.reader(io.StringIO(logged_in.get("/customers/export").get_data(as_text=True))))
    assert all("dora@example.test" not in row for row in csv_rows)
