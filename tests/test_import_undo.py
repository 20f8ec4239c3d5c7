"""Imports that never overwrite silently and can be undone: the "Overwrite existing values" choice, the check's
"Changes" (paged, and as CSV), the trail's old and new values, and "Undo this import"."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.customers import writer
from crm.extensions import db
from crm.imports import ImportFiles, jobs, listing, undo_jobs
from crm.models import AuditEvent, Customer, DeletedCustomer, ImportChange, ImportJob
from crm.services import erasure

from . import factories
from .factories import committed_customer
from .html import parse
from .test_import_pages import args, text_of, uploaded

HEADER = "first_name,last_name,email,phone,city,state,postcode\n"
MAPPING = ["first_name", "last_name", "email", "phone", "city", "state", "postcode"]
# The issue's case: a row with another name and the email of an existing VIP.
VIP_ROW = "Noah,Patel,chris@example.com,0412 555 101,Fitzroy,VIC,3065\n"


@pytest.fixture(autouse=True)
def import_settings(app, tmp_path):
    """Uploads in a temporary folder; checks, imports and undos run inside the request."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    return app


@pytest.fixture
def chris(app) -> int:
    """Christopher Estrada, a customer with a name, number and address of his own (and an order)."""
    with app.app_context():
        customer = factories.make_customer("Christopher", "Estrada", email="chris@example.com",
                                           phone="+61488464369", street="59 Catherine St", city="Albury",
                                           state="NSW", postcode="2640")
        factories.order(customer, 250_000)
        db.session.commit()
        return customer.id


def check_page(client, token: str, overwrite: bool = False, **extra):
    """The check page for the file's own columns, with or without overwriting."""
    query = {**args(MAPPING), **({"overwrite": "1"} if overwrite else {}), **extra}
    return client.get(f"/customers/import/{token}", query_string=query)


def figure(html: str, label: str) -> str:
    """The number under one of the check's figures ("To update" ...)."""
    for term in parse(html).find_all("dt"):
        if term.text == label:
            return term.parent.find("dd").text
    raise AssertionError(f"no figure {label!r}")


def imported(client, token: str, overwrite: bool = False) -> int:
    """Check and import the upload; the new import's id."""
    check_page(client, token, overwrite)
    data = {**args(MAPPING), **({"overwrite": "1"} if overwrite else {})}
    assert client.post(f"/customers/import/{token}/import", data=data).status_code == 303
    assert "Import finished" in client.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    return ImportFiles_state(client, token)["job_id"]


def ImportFiles_state(client, token: str) -> dict:  # noqa: N802
    """The import's state file."""
    return ImportFiles(client.application.config["IMPORT_DIR"]).read_state(token, jobs.IMPORT_STATE)


def customer(app, customer_id: int) -> Customer:
    """A customer as stored now (detached, with address)."""
    with app.app_context():
        row = db.session.get(Customer, customer_id)
        if row is not None:
            _ = row.address, row.membership
            db.session.expunge(row)
        return row


def undo(client, job_id: int):
    """Press "Undo this import"; the undo page it leads to."""
    response = client.post(f"/customers/import/jobs/{job_id}/undo")
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/import/jobs/{job_id}/undo"
    return client.get(response.headers["Location"])


# ---- overwrite off and on ---------------------------------------------------------------------------------------


def test_by_default_an_import_fills_only_empty_fields(logged_in, app, chris):
    filler = committed_customer(app, "Holly", "Ward", email="holly@example.com")
    token = uploaded(logged_in, HEADER + VIP_ROW + "Holly,Wardle,holly@example.com,0412 555 102,,,\n")
    html = check_page(logged_in, token).get_data(as_text=True)
    doc = parse(html)
    assert doc.field("Overwrite existing values")["type"] == "checkbox"
    assert not doc.field("Overwrite existing values").get("checked")
    # Chris only differs in values he has: not an update. Holly gets the number she lacks, keeps her name.
    assert (figure(html, "To update"), figure(html, "To skip")) == ("1", "1")
    assert "1 row differs only in values the customer already has" in text_of(html)
    imported(logged_in, token)
    vip, holly = customer(app, chris), customer(app, filler)
    assert (vip.first_name, vip.last_name, vip.phone, vip.address.city) == (
        "Christopher", "Estrada", "+61488464369", "Albury")
    assert (holly.last_name, holly.phone) == ("Ward", "+61412555102")
    profile = text_of(logged_in.get(f"/customers/{filler}").get_data(as_text=True))
    assert "Contact number: (empty) changed to 0412 555 102" in profile


def test_overwriting_replaces_values_and_the_trail_keeps_the_old_ones(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW)
    html = check_page(logged_in, token, overwrite=True).get_data(as_text=True)
    assert parse(html).find("input", name="overwrite", type="hidden")["value"] == "1"  # the import gets the choice
    assert figure(html, "To update") == "1"
    job_id = imported(logged_in, token, overwrite=True)
    vip = customer(app, chris)
    assert (vip.first_name, vip.last_name, vip.phone, vip.address.city) == ("Noah", "Patel", "+61412555101",
                                                                          "Fitzroy")
    profile = text_of(logged_in.get(f"/customers/{chris}").get_data(as_text=True))
    for line in ("First name: Christopher changed to Noah", "Last name: Estrada changed to Patel",
                 "Contact number: 0488 464 369 changed to 0412 555 101", "Suburb / City: Albury changed to Fitzroy",
                 "Street: 59 Catherine St changed to (empty)"):
        assert line in profile
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.customer_id == chris,
                                                             AuditEvent.field == "First name")).all()
        assert [(e.action, e.old_value, e.new_value) for e in events] == [("import", "Christopher", "Noah")]
        kept = db.session.scalars(select(ImportChange).where(ImportChange.job_id == job_id,
                                                             ImportChange.field == "first_name")).one()
        assert (kept.customer_id, kept.old_value, kept.new_value) == (chris, "Christopher", "Noah")


def test_the_check_is_kept_per_overwrite_choice(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW)
    off = check_page(logged_in, token).get_data(as_text=True)
    on = check_page(logged_in, token, overwrite=True, ).get_data(as_text=True)
    assert (figure(off, "To update"), figure(on, "To update")) == ("0", "1")
    assert "Nothing to import" in text_of(off) and parse(on).button("Import 1 customer")
    # htmx swaps only the results, and they follow the checkbox.
    partial = check_page(logged_in, token, overwrite=True, ).get_data(as_text=True)
    assert figure(partial, "To update") == "1"
    files = ImportFiles(app.config["IMPORT_DIR"])
    assert jobs.check_name(MAPPING, True) != jobs.check_name(MAPPING, False)
    assert files.read_state(token, jobs.check_name(MAPPING, False))["result"]["kept"] == 1


def test_to_update_counts_only_customers_that_really_change(logged_in, app, chris):
    committed_customer(app, "Same", "Person", email="same@example.com", phone="+61412555103")
    token = uploaded(logged_in, HEADER + "Same,Person,SAME@example.com,0412 555 103,,,\n" + VIP_ROW)
    off, on = (check_page(logged_in, token, choice).get_data(as_text=True) for choice in (False, True))
    assert (figure(off, "To update"), figure(off, "To skip")) == ("0", "2")
    assert (figure(on, "To update"), figure(on, "To skip")) == ("1", "1")


# ---- the check's list of changes --------------------------------------------------------------------------------


def test_the_check_lists_each_change_with_its_old_and_new_value(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW)
    doc = parse(check_page(logged_in, token, overwrite=True).get_data())
    assert doc.heading("Changes").tag == "h3"
    assert doc.link("Christopher Estrada")["href"] == f"/customers/{chris}"
    table = doc.by_role("table", "Changes")
    rows = [[cell.text for cell in row.find_all() if cell.tag in ("th", "td")] for row in table.find_all("tr")]
    assert rows[0] == ["Customer", "Field", "Now", "After the import"]
    assert rows[1] == ["Christopher Estrada", "First name", "Christopher", "changed to Noah"]
    assert ["Street", "59 Catherine St", "changed to (empty)"] in rows
    assert doc.link("Download changes (CSV)")["href"] == (
        f"/customers/import/{token}/changes.csv?{'&'.join(f'map_{i}={k}' for i, k in enumerate(MAPPING))}"
        "&overwrite=1")


def test_download_changes_csv(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW.replace("Noah", "=Noah"))
    check_page(logged_in, token, overwrite=True)
    response = logged_in.get(f"/customers/import/{token}/changes.csv", query_string={**args(MAPPING),
                                                                                    "overwrite": "1"})
    assert response.mimetype == "text/csv"
    assert "customers-changes.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["customer_id", "name", "field", "old value", "new value"]
    assert [str(chris), "Christopher Estrada", "First name", "Christopher", "'=Noah"] in rows  # formula guarded
    assert [str(chris), "Christopher Estrada", "Suburb / City", "Albury", "Fitzroy"] in rows
    # Without a finished check of that choice, back to the check page.
    response = logged_in.get(f"/customers/import/{token}/changes.csv", query_string=args(MAPPING[:2]))
    assert response.status_code == 302


def test_changes_are_paged(logged_in, app, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    for n in range(5):
        committed_customer(app, f"Person{n}", "", email=f"p{n}@example.com")
    token = uploaded(logged_in, HEADER + "".join(f"Person{n},Last{n},p{n}@example.com,,,,\n" for n in range(5)))
    doc = parse(check_page(logged_in, token).get_data())
    assert [link.text for link in doc.find_all("a") if link.text.startswith("Person")] == ["Person0", "Person1"]
    pages = doc.by_role("navigation", "Pages of changes")
    assert "Page 1 of 3" in pages.text
    doc = parse(logged_in.get(doc.link("Next")["href"], headers={"HX-Request": "true"}).get_data())
    assert doc.elements[0]["id"] == "import-results"
    assert [link.text for link in doc.find_all("a") if link.text.startswith("Person")] == ["Person2", "Person3"]
    doc = parse(check_page(logged_in, token, page="99").get_data())  # past the end: the last page
    assert [link.text for link in doc.find_all("a") if link.text.startswith("Person")] == ["Person4"]


# ---- undo ---------------------------------------------------------------------------------------------------------


def test_undo_puts_back_the_values_and_deletes_the_created_customers(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW + "Nina,New,nina@example.com,0412 555 199,Subiaco,WA,6008\n")
    job_id = imported(logged_in, token, overwrite=True)
    done = parse(logged_in.get(f"/customers/import/{token}/progress").get_data())
    assert done.button("Undo this import").form["action"] == f"/customers/import/jobs/{job_id}/undo"
    html = undo(logged_in, job_id).get_data(as_text=True)
    assert ("Import undone: 1 customer it created was moved to Recently deleted, 7 values were put back on "
            "1 customer.") in text_of(html)
    vip = customer(app, chris)
    assert (vip.first_name, vip.last_name, vip.phone, vip.address.street, vip.address.city) == (
        "Christopher", "Estrada", "+61488464369", "59 Catherine St", "Albury")
    with app.app_context():
        assert db.session.scalars(select(DeletedCustomer.name)).all() == ["Nina New"]
        job = db.session.get(ImportJob, job_id)
        assert job.undone_at is not None and job.undone_by == "owner@shop.test"
        undo_events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "undo")
                                         .order_by(AuditEvent.id)).all()
        assert ("First name", "Noah", "Christopher") in [(e.field, e.old_value, e.new_value) for e in undo_events]
        assert undo_events[-1].customer_id is None and undo_events[-1].detail.startswith(
            f"Undid “customers.csv” (import #{job_id}): 1 created customer moved to Recently deleted, 7 values")
    profile = text_of(logged_in.get(f"/customers/{chris}").get_data(as_text=True))
    assert "First name: Noah changed to Christopher" in profile
    # The list says "Undone"; the done page no longer offers the undo, and a second undo does nothing.
    recent = parse(logged_in.get("/customers/import").get_data())
    assert recent.link("Undone")["href"] == f"/customers/import/jobs/{job_id}/undo"
    assert not recent.all_by_role("button", "Undo this import")
    assert not parse(logged_in.get(f"/customers/import/{token}/progress").get_data()).all_by_role(
        "button", "Undo this import")
    undo(logged_in, job_id)
    assert customer(app, chris).first_name == "Christopher"


def test_undo_leaves_values_changed_since_and_lists_them(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW)
    job_id = imported(logged_in, token, overwrite=True)
    with app.app_context():
        vip = db.session.get(Customer, chris)
        writer.update(vip, {"first_name": "Nolan", "street": "1 New St", "city": "Fitzroy", "state": "VIC",
                            "postcode": "3065", "country": "AU"}, actor=writer.Actor.person(None))
        db.session.commit()
    doc = parse(undo(logged_in, job_id).get_data())
    changed = doc.by_role("table", "Left as they are: 5 values were changed since")
    rows = [[cell.text for cell in row.find_all("td")] for row in changed.find_all("tr")][1:]
    assert ["Noah Patel", "First name"] not in rows and ["Nolan Patel", "First name"] in rows
    assert ["Nolan Patel", "Street"] in rows and ["Nolan Patel", "Suburb / City"] in rows
    vip = customer(app, chris)
    # Untouched: the name and the address (changed as a whole since); put back: the last name and number.
    assert (vip.first_name, vip.address.street, vip.address.city) == ("Nolan", "1 New St", "Fitzroy")
    assert (vip.last_name, vip.phone) == ("Estrada", "+61488464369")


def test_undo_keeps_created_customers_who_have_ordered_since(logged_in, app):
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\nOla,Other,ola@example.com,,,,\n")
    job_id = imported(logged_in, token)
    with app.app_context():
        nina = db.session.scalars(select(Customer).where(Customer.first_name == "Nina")).one()
        factories.order(nina, 5_000)
        db.session.commit()
        nina_id = nina.id
    doc = parse(undo(logged_in, job_id).get_data())
    assert doc.heading("Kept: 1 customer has had orders since")
    assert doc.link("Nina New")["href"] == f"/customers/{nina_id}"
    with app.app_context():
        assert db.session.scalars(select(Customer.first_name)).all() == ["Nina"]
        assert db.session.scalars(select(DeletedCustomer.name)).all() == ["Ola Other"]
    # Restoring from Recently deleted takes the undo back for that customer.
    assert "Restore Ola Other" in text_of(logged_in.get("/customers/deleted").get_data(as_text=True))


def test_undo_of_a_customer_gone_since(logged_in, app):
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\n")
    job_id = imported(logged_in, token)
    with app.app_context():
        nina = db.session.scalars(select(Customer)).one()
        db.session.delete(nina)
        db.session.commit()
        assert db.session.scalars(select(ImportChange.customer_id)).all() == []  # gone with the customer
    html = text_of(undo(logged_in, job_id).get_data(as_text=True))
    assert "1 customer the import touched was deleted or anonymized since: nothing was put back for them." in html


def test_an_anonymized_customer_is_never_given_back_what_an_import_replaced(logged_in, app, chris):
    token = uploaded(logged_in, HEADER + VIP_ROW)
    job_id = imported(logged_in, token, overwrite=True)
    with app.app_context():
        erasure.anonymize_customer(db.session.get(Customer, chris), None)
        db.session.commit()
        assert db.session.scalars(select(ImportChange)).all() == []  # the values it kept are erased too
    html = text_of(undo(logged_in, job_id).get_data(as_text=True))
    assert "1 customer the import touched was deleted or anonymized since" in html
    assert (customer(app, chris).first_name, customer(app, chris).phone) == ("Anonymized", None)


def test_the_undo_page_before_and_for_imports_that_cant_be_undone(logged_in, app):
    assert logged_in.get("/customers/import/jobs/999/undo").status_code == 404
    assert logged_in.post("/customers/import/jobs/999/undo").status_code == 404
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\n")
    job_id = imported(logged_in, token)
    doc = parse(logged_in.get(f"/customers/import/jobs/{job_id}/undo").get_data())
    assert doc.heading("Undo this import") and doc.button("Undo this import")
    with app.app_context():
        db.session.get(ImportJob, job_id).changes_kept = False  # as for an import made before undo existed
        db.session.commit()
    html = text_of(logged_in.get(f"/customers/import/jobs/{job_id}/undo").get_data(as_text=True))
    assert "made before imports could be undone" in html
    undo(logged_in, job_id)
    assert count(app, Customer) == 1


def test_undo_needs_the_csrf_token(logged_in, app):
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\n")
    job_id = imported(logged_in, token)
    app.config["WTF_CSRF_ENABLED"] = True
    assert logged_in.post(f"/customers/import/jobs/{job_id}/undo").status_code == 400
    assert count(app, Customer) == 1
    page = logged_in.get(f"/customers/import/jobs/{job_id}/undo").get_data(as_text=True)
    response = logged_in.post(f"/customers/import/jobs/{job_id}/undo",
                              data={"csrf_token": parse(page).button("Undo this import").form.find(
                                  "input", name="csrf_token")["value"]})
    assert response.status_code == 303 and count(app, Customer) == 0


def test_an_undo_whose_process_is_gone_is_failed_and_can_be_tried_again(logged_in, app, tmp_path):
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\n")
    job_id = imported(logged_in, token)
    files = ImportFiles(tmp_path / "imports")
    key = files.undo_folder(job_id)
    files.write_state(key, jobs.UNDO_STATE, {"status": "running", "percent": 40, "job_id": job_id})  # no lock
    html = text_of(logged_in.get(f"/customers/import/jobs/{job_id}/undo").get_data(as_text=True))
    assert undo_jobs.UNDO_INTERRUPTED in html
    assert count(app, Customer) == 1
    assert "Import undone" in text_of(undo(logged_in, job_id).get_data(as_text=True))
    assert count(app, Customer) == 0


def test_a_running_undo_shows_its_progress(logged_in, app, tmp_path):
    token = uploaded(logged_in, HEADER + "Nina,New,nina@example.com,,,,\n")
    job_id = imported(logged_in, token)
    files = ImportFiles(tmp_path / "imports")
    key = files.undo_folder(job_id)
    with files.lock(key, jobs.UNDO_LOCK):
        files.write_state(key, jobs.UNDO_STATE, {"status": "running", "percent": 40, "job_id": job_id})
        doc = parse(logged_in.get(f"/customers/import/jobs/{job_id}/undo", headers={"HX-Request": "true"}).get_data())
        assert doc.elements[0]["id"] == "import-undo"
        assert doc.by_role("progressbar", "Undo progress")["aria-valuenow"] == "40"
        assert doc.link("Refresh progress")["hx-trigger"] == "every 500ms"
        # A second press while it runs starts nothing.
        logged_in.post(f"/customers/import/jobs/{job_id}/undo")
        assert count(app, Customer) == 1


def count(app, model) -> int:
    """How many rows a table has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# ---- what people type: any cell, overwritten and undone, comes back as it was --------------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                max_size=30).filter(lambda t: t.strip() and "\\" not in t)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=names, last=names)
def test_any_typed_name_imported_over_a_customer_is_undone_to_the_old_one(logged_in, app, first, last):
    with app.app_context():
        db.session.execute(ImportChange.__table__.delete())
        db.session.execute(AuditEvent.__table__.delete())
        db.session.execute(ImportJob.__table__.delete())
        db.session.execute(Customer.__table__.delete())
        db.session.commit()
    cid = committed_customer(app, "Zoë", "Ångström", email="zoe@example.com")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["first_name", "last_name", "email"], [first, last, "zoe@example.com"]])
    token = uploaded(logged_in, buffer.getvalue())
    mapping = ["first_name", "last_name", "email"]
    logged_in.get(f"/customers/import/{token}", query_string={**args(mapping), "overwrite": "1"})
    logged_in.post(f"/customers/import/{token}/import", data={**args(mapping), "overwrite": "1"})
    state = ImportFiles(app.config["IMPORT_DIR"]).read_state(token, jobs.IMPORT_STATE)
    if state["status"] == "done":
        logged_in.post(f"/customers/import/jobs/{state['job_id']}/undo")
    zoe = customer(app, cid)
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Ångström")


def test_undo_takes_away_an_address_membership_and_consent_the_import_gave(logged_in, app):
    cid = committed_customer(app, "Mia", "Member", email="mia@example.com")
    token = uploaded(logged_in, "first_name,email,city,state,postcode,membership_id,membership_expires_on,"
                                "email_marketing\nMia,mia@example.com,Fitzroy,VIC,3065,kg-7,2027-03-31,yes\n")
    mapping = ["first_name", "email", "city", "state", "postcode", "membership_id", "membership_expires_on",
               "email_marketing"]
    logged_in.get(f"/customers/import/{token}", query_string=args(mapping))
    logged_in.post(f"/customers/import/{token}/import", data=args(mapping))
    mia = customer(app, cid)
    assert (mia.address.city, mia.membership.membership_id, mia.email_marketing) == ("Fitzroy", "KG-7", True)
    assert mia.email_marketing_method == "import"  # consent never recorded counts as empty
    job_id = ImportFiles_state(logged_in, token)["job_id"]
    undo(logged_in, job_id)
    mia = customer(app, cid)
    assert (mia.address, mia.membership, mia.email_marketing) == (None, None, False)
    assert (mia.email_marketing_at, mia.email_marketing_method) == (None, None)  # no record, as before


def test_overwrite_off_keeps_a_recorded_consent_and_a_held_membership(logged_in, app):
    with app.app_context():
        row = factories.make_customer("Mia", "Member", email="mia@example.com")
        factories.membership(row, "KG-1")
        writer.update(row, {"email_marketing": False}, actor=writer.Actor.person(None),
                      consent=writer.Consent(method="dashboard"))
        row.email_marketing_at = row.created_at  # withdrawn, on record
        db.session.commit()
        cid = row.id
    token = uploaded(logged_in, "first_name,email,membership_id,membership_expires_on,email_marketing\n"
                                "Mia,mia@example.com,KG-2,2027-03-31,yes\n")
    mapping = ["first_name", "email", "membership_id", "membership_expires_on", "email_marketing"]
    html = logged_in.get(f"/customers/import/{token}", query_string=args(mapping)).get_data(as_text=True)
    assert (figure(html, "To update"), figure(html, "To skip")) == ("0", "1")
    html = logged_in.get(f"/customers/import/{token}", query_string={**args(mapping), "overwrite": "1"}).get_data(
        as_text=True)
    assert figure(html, "To update") == "1"
    mia = customer(app, cid)
    assert (mia.membership.membership_id, mia.email_marketing) == ("KG-1", False)


def test_undo_removes_the_notes_an_import_added_unless_edited_since(logged_in, app):
    ann = committed_customer(app, "Ann", "Note", email="ann@example.com")
    ben = committed_customer(app, "Ben", "Note", email="ben@example.com")
    token = uploaded(logged_in, "email,note\nann@example.com,Prefers pickup\nben@example.com,Gift wrap\n")
    mapping = ["email", "note"]
    doc = parse(logged_in.get(f"/customers/import/{token}", query_string=args(mapping)).get_data())
    rows = [[c.text for c in r.find_all() if c.tag in ("th", "td")] for r in doc.by_role("table", "Changes").find_all("tr")]
    assert ["Ann Note", "Private note", "(empty)", "changed to Prefers pickup"] in rows
    logged_in.post(f"/customers/import/{token}/import", data=args(mapping))
    job_id = ImportFiles_state(logged_in, token)["job_id"]
    with app.app_context():
        note = db.session.scalars(select(Customer).where(Customer.id == ben)).one().notes[0]
        note.body, note.updated_at = "Gift wrap, blue paper", note.updated_at.replace(year=2030)
        db.session.commit()
    doc = parse(undo(logged_in, job_id).get_data())
    assert "1 value was put back on 1 customer" in doc.by_id("import-undo").text
    changed = doc.by_role("table", "Left as they are: 1 value was changed since")
    assert ["Ben Note", "Private note"] in [[c.text for c in r.find_all("td")] for r in changed.find_all("tr")]
    with app.app_context():
        assert [n.body for n in db.session.get(Customer, ann).notes] == []
        assert [n.body for n in db.session.get(Customer, ben).notes] == ["Gift wrap, blue paper"]
