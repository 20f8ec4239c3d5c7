"""Settings → Team: the members, inviting by email (or a link to copy), joining from the link, and changing,
deactivating and removing members, with the trail and the rule that the shop always keeps an active owner."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, Invitation, User, UserSession
from crm.services import team
from crm.services.team import clock

from . import factories
from .conftest import OWNER_EMAIL, AuthActions
from .html import page
from .mailserver import Collector, start_server

NEW_PASSWORD = "twelve chars or more"


@pytest.fixture
def smtp():
    """A test SMTP server on loopback."""
    handler = Collector()
    controller = start_server(handler)
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def mailing(app, smtp):
    """The app sends mail to the test server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="shop@koala.test")
    return smtp


def _member(app, email="sam@shop.test", role="staff", **kwargs) -> int:
    with app.app_context():
        user = factories.member(email, role, **kwargs)
        db.session.commit()
        return user.id


def _signed_in(app, email=OWNER_EMAIL, password=None):
    """A new client signed in as the account."""
    client = app.test_client()
    password = password or ("correct horse battery" if email == OWNER_EMAIL else factories.MEMBER_PASSWORD)
    assert AuthActions(client).login(email, password).status_code == 302
    return client


def _invite(client, email="new@shop.test", role="staff"):
    return client.post("/settings/team/invite", data={"email": email, "role": role})


def _link_token(response) -> str:
    """The token of the invitation link shown on the page."""
    return page(response).field("Invitation link")["value"].rsplit("/invite/", 1)[1]


def _events(app, action: str) -> list[tuple]:
    with app.app_context():
        return [(e.actor, e.subject, e.field, e.old_value, e.new_value, e.detail) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


# ---- the Team page ----------------------------------------------------------------------------------------


def test_team_page_lists_members_roles_and_the_presets(app, logged_in):
    _member(app, name="Sam Staff")
    doc = page(logged_in.get("/settings/team"))
    assert doc.heading("Team").tag == "h1"
    assert doc.button("Invite member")
    members = doc.by_role("table", "Members").rows()
    assert members[0] == ["Name", "Role", "Last sign-in", "Two-step", "Status", "Actions"]
    assert [row[1:5] for row in members[1:]] == [["Owner", members[1][2], "Off", "Active"],
                                                 ["Staff", "Never", "Off", "Active"]]
    assert members[1][0].startswith(OWNER_EMAIL) and members[2][0].startswith("Sam Staff")
    assert doc.link("Manage Sam Staff")
    presets = doc.by_role("table", "Permissions of each role").rows()
    assert presets[0] == ["Permission", "Owner", "Manager", "Staff", "Read only"]
    assert ["Team", "Yes", "No", "No", "No"] in presets
    assert ["Export customers", "Yes", "Yes", "No", "No"] in presets
    assert ["Insights", "Yes", "Yes", "Yes", "Yes"] in presets


def test_settings_and_team_are_tabs_of_one_another(logged_in):
    tabs = page(logged_in.get("/settings")).by_role("tablist", "Settings").all_by_role("tab")
    assert [(tab.name, tab["href"], tab["aria-selected"]) for tab in tabs] == [("Shop", "/settings", "true"),
                                                                             ("Team", "/settings/team", "false"),
                                                                             ("Tags", "/settings/tags", "false")]


# ---- inviting -------------------------------------------------------------------------------------------


def test_invite_form_offers_the_four_roles(logged_in):
    doc = page(logged_in.get("/settings/team/invite"))
    form = doc.button("Send invitation").form
    assert form.field("Email")["type"] == "email"
    options = [(o["value"], o.text) for o in form.field("Role").find_all("option")]
    assert options == [("owner", "Owner"), ("manager", "Manager"), ("staff", "Staff"), ("read_only", "Read only")]


def test_without_a_mail_server_the_link_is_shown_to_copy(app, logged_in):
    response = _invite(logged_in, "New@Shop.test", "manager")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    doc = page(response)
    link = doc.field("Invitation link")
    assert link["value"].startswith("http://localhost/invite/") and link.get("readonly") is not None
    assert doc.button("Copy link")["data-copy"] == "#invitation-link"
    assert "No mail server is set up" in doc.text
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.email == "New@shop.test" and invitation.role == "manager"
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        assert _link_token(response) not in invitation.token_hash  # only a hash is kept
    assert _events(app, "invite") == [(OWNER_EMAIL, "New@shop.test", None, None, None, "Invited as Manager")]
    assert [row[0] for row in page(logged_in.get("/settings/team")).by_role("table", "Open invitations").rows()[1:]] \
        == ["New@shop.test"]


def test_with_a_mail_server_the_link_is_mailed(app, logged_in, mailing):
    response = _invite(logged_in)
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/team")
    (rcpt, message), = mailing.messages
    assert rcpt == ["new@shop.test"] and message["Subject"] == "Join Koala Goods"
    body = message.get_body(("plain",)).get_content()
    assert "http://localhost/invite/" in body and "7 days" in body
    assert "Invitation sent to new@shop.test" in page(logged_in.get("/settings/team")).by_role("status").text
    token = body.split("/invite/", 1)[1].split()[0]
    assert app.test_client().get(f"/invite/{token}").status_code == 200


def test_a_mail_server_that_refuses_shows_the_link_instead(app, logged_in):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=1)
    response = _invite(logged_in)
    doc = page(response)
    assert response.status_code == 200 and "couldn't send the email" in doc.by_role("alert").text
    assert doc.field("Invitation link")


@pytest.mark.parametrize(("email", "message"), [
    ("", "Enter the email address to invite"),
    ("not-an-email", "Enter a valid email address"),
    ("OWNER@shop.test", "already has an account in this shop"),
])
def test_refused_invitations_say_why_and_change_nothing(app, logged_in, email, message):
    response = _invite(logged_in, email)
    assert response.status_code == 422
    field = page(response).field("Email")
    assert field.invalid and message in field.description
    with app.app_context():
        assert db.session.scalars(select(Invitation)).all() == []


def test_an_unknown_role_is_refused(app, logged_in):
    response = _invite(logged_in, role="admin")
    assert response.status_code == 422 and page(response).field("Role").description.endswith("Choose one of the roles")


def test_a_new_invitation_replaces_the_open_one_for_the_same_email(app, logged_in):
    first = _link_token(_invite(logged_in))
    _link_token(_invite(logged_in, "NEW@shop.test"))
    response = logged_in.get(f"/invite/{first}")
    assert response.status_code == 410 and "withdrawn" in page(response).by_role("alert").text


def test_revoking_an_invitation_kills_its_link(app, logged_in):
    token = _link_token(_invite(logged_in))
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()
    doc = page(logged_in.get("/settings/team"))
    assert doc.button("Revoke invitation to new@shop.test").form["action"].endswith(f"/{invitation_id}/revoke")
    assert logged_in.post(f"/settings/team/invitations/{invitation_id}/revoke").status_code == 302
    response = app.test_client().get(f"/invite/{token}")
    assert response.status_code == 410
    assert "This invitation was withdrawn" in page(response).by_role("alert").text
    assert _events(app, "invite")[-1][-1] == "Invitation withdrawn"
    assert logged_in.post("/settings/team/invitations/2147483647/revoke").status_code == 404


# ---- joining --------------------------------------------------------------------------------------------


def test_the_invitation_page_asks_for_a_name_and_password(app, logged_in):
    token = _link_token(_invite(logged_in))
    doc = page(app.test_client().get(f"/invite/{token}"))
    assert doc.heading("Join Koala Goods")
    form = doc.button("Join the team").form
    assert form.field("Name")["name"] == "name" and form.field("Password")["type"] == "password"
    assert "new@shop.test" in doc.text and "Staff" in doc.text


def test_joining_signs_the_new_member_in_on_the_customer_list(app, logged_in):
    token = _link_token(_invite(logged_in, role="staff"))
    newcomer = app.test_client()
    response = newcomer.post(f"/invite/{token}", data={"name": "  Nina   New ", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers")
    listing = page(newcomer.get("/customers"))
    assert [name for name, _href in listing.by_role("navigation", "Main").links()][:-1] == ["Customers", "Insights"]  # then the account
    assert newcomer.get("/settings").status_code == 403
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "new@shop.test")).one()
        assert (user.name, user.role, user.permissions) == ("Nina New", "staff", "view edit orders insights")
        assert user.last_sign_in_at is not None
    assert _events(app, "join") == [("new@shop.test", "new@shop.test", None, None, None, "Joined as Staff")]
    assert _signed_in(app, "new@shop.test", NEW_PASSWORD)


def test_a_used_link_says_so(app, logged_in):
    token = _link_token(_invite(logged_in))
    app.test_client().post(f"/invite/{token}", data={"name": "Nina", "password": NEW_PASSWORD})
    again = app.test_client().post(f"/invite/{token}", data={"name": "Eve", "password": NEW_PASSWORD})
    assert again.status_code == 410
    assert "already been used" in page(again).by_role("alert").text
    with app.app_context():
        assert db.session.scalars(select(User.name).where(User.email == "new@shop.test")).all() == ["Nina"]


def test_an_expired_link_says_so(app, logged_in, monkeypatch):
    token = _link_token(_invite(logged_in))
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=7, seconds=1))
    response = app.test_client().get(f"/invite/{token}")
    assert response.status_code == 410 and "has expired" in page(response).by_role("alert").text
    joined = app.test_client().post(f"/invite/{token}", data={"name": "Nina", "password": NEW_PASSWORD})
    assert joined.status_code == 410
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=6, hours=23))
    assert app.test_client().get(f"/invite/{token}").status_code == 200


def test_an_email_that_got_an_account_meanwhile_is_refused(app, logged_in):
    token = _link_token(_invite(logged_in))
    _member(app, "NEW@shop.test")
    response = app.test_client().post(f"/invite/{token}", data={"name": "Nina", "password": NEW_PASSWORD})
    assert response.status_code == 409
    assert "already has an account" in page(response).by_role("alert").text


def test_an_unknown_link_is_not_found(app, owner):
    assert app.test_client().get("/invite/not-a-token").status_code == 404


@pytest.mark.parametrize(("data", "label", "message"), [
    ({"name": "", "password": NEW_PASSWORD}, "Name", "Enter your name"),
    ({"name": "Nina\x1b", "password": NEW_PASSWORD}, "Name", "Remove the invisible control characters"),
    ({"name": "N" * 101, "password": NEW_PASSWORD}, "Name", "Keep the name to 100 characters"),
    ({"name": "Nina", "password": "elevenchars"}, "Password", "Use at least 12 characters"),
    ({"name": "Nina", "password": ""}, "Password", "Choose a password"),
])
def test_join_form_checks(app, logged_in, data, label, message):
    token = _link_token(_invite(logged_in))
    response = app.test_client().post(f"/invite/{token}", data=data)
    assert response.status_code == 422
    field = page(response).field(label)
    assert field.invalid and field.description.endswith(message)
    with app.app_context():
        assert db.session.scalars(select(User).where(User.email == "new@shop.test")).all() == []


# ---- changing members -----------------------------------------------------------------------------------


def _sessions_of(app, user_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all())


def test_member_page_shows_role_permissions_and_buttons(app, logged_in):
    sam = _member(app, name="Sam Staff")
    doc = page(logged_in.get(f"/settings/team/members/{sam}"))
    assert doc.heading("Sam Staff").tag == "h1"
    assert doc.field("Role").find("option", selected=True)["value"] == "staff"
    ticked = {box.name for box in doc.all_by_role("checkbox") if box.get("checked") is not None}
    assert ticked == {"View customers", "Add and edit customers and notes", "Add orders by hand", "Insights"}
    for name in ("Change role", "Save permissions", "Make owner", "Deactivate", "Remove member"):
        assert doc.button(name)


def test_a_role_change_ends_the_members_sessions_at_once(app, logged_in):
    sam = _member(app)
    member_client = _signed_in(app, "sam@shop.test")
    assert _sessions_of(app, sam) == 1
    response = logged_in.post(f"/settings/team/members/{sam}/role", data={"role": "manager"})
    assert response.status_code == 302
    assert _sessions_of(app, sam) == 0
    assert member_client.get("/customers").headers["Location"].startswith("/login")
    with app.app_context():
        user = db.session.get(User, sam)
        assert user.role == "manager" and "export" in user.permissions.split()
    assert _events(app, "role") == [(OWNER_EMAIL, "sam@shop.test", "Role", "Staff", "Manager", None)]
    assert _signed_in(app, "sam@shop.test").get("/customers/export").status_code == 200


def test_ticking_permissions_one_by_one(app, logged_in):
    sam = _member(app)
    member_client = _signed_in(app, "sam@shop.test")
    response = logged_in.post(f"/settings/team/members/{sam}/permissions",
                              data={"permission": ["view", "export", "insights", "nonsense"]})
    assert response.status_code == 302
    assert member_client.get("/customers").status_code == 302  # signed out
    again = _signed_in(app, "sam@shop.test")
    assert again.get("/customers/export").status_code == 200
    assert again.get("/customers/new").status_code == 403
    (event,) = _events(app, "role")
    assert event[2] == "Permissions"
    assert event[5] == "added Export customers; removed Add and edit customers and notes; removed Add orders by hand"
    doc = page(logged_in.get("/settings/team"))
    assert ["Staff (custom)"] == [row[1] for row in doc.by_role("table", "Members").rows()[2:]]


def test_api_tokens_come_with_settings(app, logged_in):
    sam = _member(app)
    response = logged_in.post(f"/settings/team/members/{sam}/permissions", data={"permission": ["view", "tokens"]})
    assert response.status_code == 409
    assert "tick “Settings” too" in page(response).by_role("alert").text
    with app.app_context():
        assert db.session.get(User, sam).permissions == "view edit orders insights"


def test_deactivating_signs_the_member_out_and_keeps_them_out(app, logged_in):
    sam = _member(app)
    member_client = _signed_in(app, "sam@shop.test")
    assert logged_in.post(f"/settings/team/members/{sam}/deactivate").status_code == 302
    assert member_client.get("/customers").headers["Location"].startswith("/login")
    assert AuthActions(app.test_client()).login("sam@shop.test", factories.MEMBER_PASSWORD).status_code == 401
    doc = page(logged_in.get("/settings/team"))
    assert doc.by_role("table", "Members").rows()[2][4] == "Deactivated"
    assert logged_in.post(f"/settings/team/members/{sam}/reactivate").status_code == 302
    assert _signed_in(app, "sam@shop.test").get("/customers").status_code == 200
    assert [e[5] for e in _events(app, "member")] == ["Deactivated", "Reactivated"]


def test_a_member_deactivated_mid_session_is_signed_out_at_the_next_request(app, logged_in):
    sam = _member(app)
    member_client = _signed_in(app, "sam@shop.test")
    with app.app_context():  # as if another process did it and the sign-in rows were left
        db.session.get(User, sam).deactivated_at = clock.now()
        db.session.commit()
    response = member_client.get("/customers", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_removing_a_member_keeps_their_name_in_the_trail(app, logged_in):
    sam = _member(app)
    member_client = _signed_in(app, "sam@shop.test")
    customer = member_client.post("/customers/new", data={"first_name": "Alex"})
    assert customer.status_code == 302
    assert logged_in.post(f"/settings/team/members/{sam}/remove").status_code == 302
    assert member_client.get("/customers").status_code == 302
    with app.app_context():
        assert db.session.get(User, sam) is None
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "create")).one()
        assert created.actor == "sam@shop.test" and created.user_id is None
    trail = page(logged_in.get("/audit")).by_role("table").rows()
    assert any(row[1] == "sam@shop.test" and row[2] == "Created" for row in trail)
    assert _events(app, "member")[-1][5] == "Removed from the team"
    assert logged_in.get(f"/settings/team/members/{sam}").status_code == 404


# ---- owners ---------------------------------------------------------------------------------------------


def _owner_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == OWNER_EMAIL)).one()


@pytest.mark.parametrize(("action", "data"), [("role", {"role": "manager"})])
def test_the_last_owner_cant_step_down(app, logged_in, action, data):
    me = _owner_id(app)
    response = logged_in.post(f"/settings/team/members/{me}/{action}", data=data)
    assert response.status_code == 409
    doc = page(response)
    assert "only owner: make someone else an owner first" in doc.by_role("alert").text
    assert doc.field("Role").find("option", selected=True)["value"] == "manager"  # the choice is kept
    with app.app_context():
        assert db.session.get(User, me).role == "owner"


@pytest.mark.parametrize("action", ["deactivate", "remove", "permissions"])
def test_nobody_deactivates_removes_or_reticks_themselves(app, logged_in, action):
    me = _owner_id(app)
    response = logged_in.post(f"/settings/team/members/{me}/{action}")
    assert response.status_code == 409
    with app.app_context():
        user = db.session.get(User, me)
        assert user is not None and user.deactivated_at is None


def test_another_owner_can_be_demoted_but_not_the_last_active_one(app, logged_in):
    other = _member(app, "co@shop.test", "owner", name="Co Owner")
    assert logged_in.post(f"/settings/team/members/{other}/role", data={"role": "staff"}).status_code == 302
    assert logged_in.post(f"/settings/team/members/{other}/role", data={"role": "owner"}).status_code == 302
    # with two owners, one may step down; the one left can't
    co = _signed_in(app, "co@shop.test")
    me = _owner_id(app)
    assert co.post(f"/settings/team/members/{me}/deactivate").status_code == 302
    response = co.post(f"/settings/team/members/{other}/role", data={"role": "manager"})
    assert response.status_code == 409


def test_make_owner_hands_the_shop_over(app, logged_in):
    sam = _member(app, name="Sam Staff")
    response = logged_in.post(f"/settings/team/members/{sam}/owner")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(User, sam).role == "owner"
        assert db.session.get(User, _owner_id(app)).role == "manager"
    assert logged_in.get("/settings/team").status_code == 403  # still signed in, as a manager now
    assert logged_in.get("/settings").status_code == 200
    assert [(e[1], e[3], e[4]) for e in _events(app, "role")] == [("sam@shop.test", "Staff", "Owner"),
                                                                  (OWNER_EMAIL, "Owner", "Manager")]


def test_only_an_owner_makes_owners(app, logged_in):
    manager = _member(app, "m@shop.test", "manager")
    sam = _member(app)
    with app.app_context():
        db.session.get(User, manager).permissions += " team"
        db.session.commit()
    client = _signed_in(app, "m@shop.test")
    response = client.post(f"/settings/team/members/{sam}/role", data={"role": "owner"})
    assert response.status_code == 409 and "Only an owner" in page(response).by_role("alert").text
    assert client.post(f"/settings/team/members/{_owner_id(app)}/deactivate").status_code == 409
    assert client.post(f"/settings/team/members/{manager}/role", data={"role": "owner"}).status_code == 409
    assert client.post(f"/settings/team/members/{sam}/role", data={"role": "read_only"}).status_code == 302
    assert _invite(client, role="owner").status_code == 422


def test_team_service_refuses_the_last_owner_directly(app, owner):
    with app.app_context():
        me = db.session.scalars(select(User)).one()
        for change in (lambda: team.deactivate(me, me), lambda: team.remove(me, me),
                       lambda: team.set_role(me, me, "staff")):
            with pytest.raises(team.TeamRefused):
                change()
        db.session.rollback()
