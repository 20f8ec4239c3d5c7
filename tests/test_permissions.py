"""Permissions on every route: each dashboard rule declares what it needs, and for each role every rule answers
403 exactly when the role lacks it. The walk uses ids nothing has, so an allowed request reaches its view and
finds nothing (404) or refuses the empty form (422) instead of changing the shop; the gate decides before that."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import PUBLIC_BLUEPRINTS, PUBLIC_ENDPOINTS
from crm.extensions import db
from crm.models import User
from crm.services import permissions

from . import factories
from .conftest import AuthActions
from .html import page

# What each dashboard rule needs: a new route is added here and declares the same with `needs(...)`.
NEEDS = {
    "index": "signed-in", "auth.logout": "signed-in",
    "customers.index": "view", "customers.places": "view", "customers.detail": "view", "customers.note": "view",
    "customers.new": "edit", "customers.edit": "edit", "customers.check": "edit",
    "customers.generate_password_field": "edit", "customers.generate_membership_id_field": "edit",
    "customers.add_note": "edit", "customers.edit_note": "edit", "customers.save_note": "edit",
    "customers.delete_note": "edit", "customers.add_tag": "edit", "customers.remove_tag": "edit", "addresses.suggest": "edit", "addresses.states": "edit",
    # saved views are the team's: seen by everyone who sees the list, made and changed by whoever edits customers
    "customers.new_view": "edit", "customers.create_view": "edit", "customers.rename_view": "edit",
    "customers.delete_view": "edit", "customers.move_view": "edit",
    "customers.choose_columns": "view",  # each person's own columns: whoever sees the list chooses theirs
    "customers.new_order": "orders",
    "customers.export": "export", "insights.export": "export",
    "imports.upload": "import", "imports.preview": "import", "imports.invalid_rows": "import",
    "imports.confirm": "import", "imports.progress": "import", "imports.changes_csv": "import",
    "imports.undo": "import",
    "customers.delete": "delete", "customers.anonymize": "delete", "customers.recently_deleted": "delete",
    "customers.restore": "delete",
    "customers.bulk_add_tag": "edit", "customers.bulk_remove_tag": "edit", "customers.bulk_unsubscribe": "edit",
    "customers.bulk_export": "export", "customers.bulk_delete": "delete", "customers.bulk_job": "view",
    "insights.index": "insights", "audit.index": "audit",
    "tags.index": "settings", "tags.edit": "settings", "tags.save": "settings", "tags.merge": "settings",
    "tags.confirm_delete": "settings", "tags.delete": "settings",
    "settings.index": "settings", "settings.create_token": "tokens", "settings.revoke_token": "tokens",
    "team.index": "team", "team.invite": "team", "team.revoke_invitation": "team", "team.member": "team",
    "team.change_role": "team", "team.change_permissions": "team", "team.deactivate": "team",
    "team.reactivate": "team", "team.remove": "team", "team.make_owner": "team",
    "settings.require_two_step": "team",
    "account.index": "signed-in", "account.profile": "signed-in", "account.change_password": "signed-in",
    "account.display": "signed-in",
    "account.sign_out_others": "signed-in", "account.sign_out_session": "signed-in",
    "two_step.page": "signed-in", "two_step.begin": "signed-in", "two_step.turn_on": "signed-in",
    "two_step.turn_off": "signed-in", "two_step.new_recovery_codes": "signed-in",
}
# Path arguments no row has (the largest id; a token of no upload), so allowed requests change nothing.
NOWHERE = {"int": "2147483647", "field": "email", "token": "no-such-upload"}


def _dashboard_rules(app):
    """Every rule behind the login, with each method it takes."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _path(rule) -> str:
    """The rule's URL with every argument one that finds nothing."""
    def nowhere(match: re.Match) -> str:
        converter, name = match.groups()
        return NOWHERE["int"] if converter == "int" else NOWHERE.get(name, NOWHERE["token"])

    return re.sub(r"<(?:(\w+):)?(\w+)>", nowhere, rule.rule)


def test_every_dashboard_rule_declares_the_permission_it_needs(app):
    declared = {rule.endpoint: permissions.declared(app.view_functions[rule.endpoint])
                for rule, _method in _dashboard_rules(app)}
    assert sorted(e for e, needed in declared.items() if needed is None) == [], "declare needs(...) on these"
    assert declared == NEEDS


@pytest.mark.parametrize("role", list(permissions.PRESETS))
def test_each_role_gets_403_exactly_where_it_lacks_the_permission(app, client, owner, role):
    with app.app_context():
        if role != "owner":
            factories.member("walker@shop.test", role)
            db.session.commit()
    email, password = ("owner@shop.test", "correct horse battery") if role == "owner" else (
        "walker@shop.test", factories.MEMBER_PASSWORD)
    assert AuthActions(client).login(email, password).status_code == 302
    granted = permissions.PRESETS[role]
    walked = []
    for rule, method in sorted(_dashboard_rules(app), key=lambda pair: pair[0].endpoint == "auth.logout"):
        path = _path(rule)
        response = client.open(path, method=method)
        response.get_data()  # a streamed answer (a CSV download) runs to its end, as a browser would read it
        needed = NEEDS[rule.endpoint]
        allowed = needed == "signed-in" or needed in granted
        assert response.status_code < 500, (method, path)
        assert (response.status_code == 403) == (not allowed), (role, method, path, response.status_code)
        walked.append(rule.endpoint)
    assert set(walked) == set(NEEDS)


def test_the_403_page_names_the_missing_permission_inside_the_app(app, client, owner):
    with app.app_context():
        factories.member("read@shop.test", "read_only")
        db.session.commit()
    AuthActions(client).login("read@shop.test", factories.MEMBER_PASSWORD)
    response = client.get("/customers/export")
    assert response.status_code == 403
    doc = page(response)
    assert doc.heading("You don't have access to this").tag == "h1"
    assert "This needs the permission “Export customers”, which your account doesn't have." in doc.text
    assert [name for name, _href in doc.by_role("navigation", "Main").links()][:-1] == ["Customers", "Insights"]  # then the account


def test_htmx_requests_are_refused_too(app, client, owner):
    with app.app_context():
        factories.member("read@shop.test", "read_only")
        db.session.commit()
    AuthActions(client).login("read@shop.test", factories.MEMBER_PASSWORD)
    response = client.get("/customers/check/email?email=a@b.test", headers={"HX-Request": "true"})
    assert response.status_code == 403


@pytest.mark.parametrize(("role", "shown"), [
    ("owner", ["Customers", "Insights", "Settings", "Audit trail"]),
    ("manager", ["Customers", "Insights", "Settings", "Audit trail"]),
    ("staff", ["Customers", "Insights"]),
    ("read_only", ["Customers", "Insights"]),
])
def test_navigation_shows_what_the_role_can_open(app, client, owner, role, shown):
    email, password = "owner@shop.test", "correct horse battery"
    if role != "owner":
        with app.app_context():
            factories.member("m@shop.test", role)
            db.session.commit()
        email, password = "m@shop.test", factories.MEMBER_PASSWORD
    AuthActions(client).login(email, password)
    doc = page(client.get("/customers"))
    assert [name for name, _href in doc.by_role("navigation", "Main").links()][:-1] == shown  # then the account


def test_buttons_a_member_cannot_use_are_not_shown(app, client, owner):
    with app.app_context():
        customer = factories.make_customer("Alex", "Taylor", email="alex@shop.test", orders_spec=[(1000, "paid")])
        factories.note(customer)
        factories.member("m@shop.test", "read_only")
        db.session.commit()
        customer_id = customer.id
    AuthActions(client).login("m@shop.test", factories.MEMBER_PASSWORD)
    listing = page(client.get("/customers"))
    names = {name for name, _href in listing.links()}
    assert not names & {"Export CSV", "Import customers", "Recently deleted", "Add customer"}
    profile = page(client.get(f"/customers/{customer_id}"))
    buttons = {b.name for b in profile.all_by_role("button")}
    assert not buttons & {"Add order", "Anonymize", "Delete customer", "Add note", "Delete this note"}
    assert "Edit" not in {name for name, _href in profile.links()}
    insights = page(client.get("/insights"))
    assert not [b for b in insights.all_by_role("button") if b.name == "Export for email marketing"]


def test_staff_see_what_they_can_use(app, client, owner):
    with app.app_context():
        customer = factories.make_customer("Alex", "Taylor", orders_spec=[(1000, "paid")])
        factories.member("m@shop.test", "staff")
        db.session.commit()
        customer_id = customer.id
    AuthActions(client).login("m@shop.test", factories.MEMBER_PASSWORD)
    profile = page(client.get(f"/customers/{customer_id}"))
    buttons = {b.name for b in profile.all_by_role("button")}
    assert {"Add order", "Add note"} <= buttons and "Anonymize" not in buttons
    assert "Edit" in {name for name, _href in profile.links()}
    assert "Export CSV" not in {name for name, _href in page(client.get("/customers")).links()}


def test_a_manager_has_settings_without_api_tokens_or_team(app, client, owner):
    with app.app_context():
        factories.member("m@shop.test", "manager")
        db.session.commit()
    AuthActions(client).login("m@shop.test", factories.MEMBER_PASSWORD)
    doc = page(client.get("/settings"))
    assert [b for b in doc.all_by_role("button") if b.name == "Save settings"]
    assert not [b for b in doc.all_by_role("button") if b.name == "Create API token"]
    # Settings' tabs are Shop and Tags (both need Settings); Team is left out
    assert [tab.name for tab in doc.by_role("tablist", "Settings").all_by_role("tab")] == ["Shop", "Tags"]


@given(st.lists(st.one_of(st.sampled_from(sorted(permissions.ALL)), st.text(max_size=12)), max_size=20),
       st.sampled_from(["manager", "staff", "read_only"]))
def test_ticked_permissions_read_back_as_ticked_and_nothing_else(keys, role):
    member = User(email="m@shop.test", role=role, permissions=permissions.stored(keys))
    assert permissions.granted(member) == set(keys) & permissions.ALL
    assert permissions.stored(permissions.granted(member)) == member.permissions  # one spelling per set
    assert (permissions.problem(keys) is None) == ("tokens" not in keys or "settings" in keys)
    member.role = "owner"
    assert permissions.granted(member) == permissions.ALL  # whatever is stored
