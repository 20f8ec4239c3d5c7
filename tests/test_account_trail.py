"""The trail of accounts and settings: sign-ins, failed sign-ins, sign-outs, settings, API tokens and notes, each
under the person who did it, and how the trail page shows events without a customer."""

from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, Customer

from . import factories
from .conftest import OWNER_EMAIL
from .html import page


def _events(app, action):
    with app.app_context():
        return [(e.actor, e.customer_id, e.field, e.old_value, e.new_value, e.detail)
                for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_sign_in_failures_and_sign_out(client, auth, app):
    auth.login(password="wrong password")
    auth.login(email="nobody@shop.test")
    auth.login()
    auth.logout()
    assert _events(app, "sign-in-failed") == [
        (OWNER_EMAIL, None, None, None, None, "Wrong password from 127.0.0.1"),
        ("Unknown", None, None, None, None, "Unknown email “nobody@shop.test” from 127.0.0.1")]
    assert _events(app, "sign-in") == [(OWNER_EMAIL, None, None, None, None, "Password, from 127.0.0.1")]
    assert _events(app, "sign-out") == [(OWNER_EMAIL, None, None, None, None, "Logged out")]


def test_settings_changes_field_by_field(logged_in, app):
    form = page(logged_in.get("/settings")).button("Save settings").form.form_data()
    form.update({"shop_name": "Wombat Wares", "vip_threshold": "2000"})
    assert logged_in.post("/settings", data=form).status_code == 302
    assert _events(app, "settings") == [
        (OWNER_EMAIL, None, "Shop name", "Koala Goods", "Wombat Wares", None),
        (OWNER_EMAIL, None, "VIP threshold", "1000.00", "2000.00", None)]


def test_token_creation_and_revocation(logged_in, app, runner):
    logged_in.post("/settings/tokens", data={"token-name": "Checkout"})
    with app.app_context():
        token = db.session.scalars(select(factories.ApiToken)).one()
        prefix, token_id = token.prefix, token.id
    logged_in.post(f"/settings/tokens/{token_id}/revoke")
    runner.invoke(args=["tokens", "create", "Till"])
    assert _events(app, "token") == [
        (OWNER_EMAIL, None, None, None, None, f"Created “Checkout” ({prefix}…)"),
        (OWNER_EMAIL, None, None, None, None, f"Revoked “Checkout” ({prefix}…)"),
        ("Command line", None, None, None, None, _events(app, "token")[2][5])]


def test_notes_added_edited_deleted(logged_in, app):
    with app.app_context():
        customer_id = factories.customer("Anna", "Smith").id
        db.session.commit()
    logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Likes red"})
    with app.app_context():
        note_id = db.session.get(Customer, customer_id).notes[0].id
    logged_in.post(f"/customers/{customer_id}/notes/{note_id}", data={f"note{note_id}-body": "Likes blue"})
    logged_in.post(f"/customers/{customer_id}/notes/{note_id}/delete")
    assert _events(app, "note") == [
        (OWNER_EMAIL, customer_id, "Note", None, "Likes red", "added"),
        (OWNER_EMAIL, customer_id, "Note", "Likes red", "Likes blue", None),
        (OWNER_EMAIL, customer_id, "Note", "Likes blue", None, "deleted")]


def test_trail_page_shows_account_events(logged_in, app):
    logged_in.post("/account/sessions/sign-out-others")
    doc = page(logged_in.get("/audit?action=sign-in"))
    rows = doc.by_role("table").rows()
    assert rows[1][1:] == [OWNER_EMAIL, "Signed in", "—", "Password, from 127.0.0.1"]
    assert [o.text for o in doc.field("Action").find_all("option") if o.text == "Two-step verification"]


def test_own_name_and_email_changes_and_a_deactivation(logged_in, app, runner):
    logged_in.post("/account/profile", data={"profile-name": "Kim", "profile-email": "kim@shop.test",
                                             "profile-password": "correct horse battery"})
    runner.invoke(args=["users", "create", "staff@shop.test", "--password", "a much longer passphrase"])
    runner.invoke(args=["users", "deactivate", "staff@shop.test"])
    assert _events(app, "member") == [
        (OWNER_EMAIL, None, "Name", "", "Kim", None),
        (OWNER_EMAIL, None, "Email", OWNER_EMAIL, "kim@shop.test", None),
        ("Command line", None, None, None, None, "Deactivated")]
