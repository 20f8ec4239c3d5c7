"""Saved views of the customer list: saving, opening, renaming, moving and deleting them, their tabs and counts,
shared by the whole team; and the built-in Lapsed view with its setting."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm.customers.checks import Invalid
from crm.extensions import db
from crm.models import AuditEvent, SavedView
from crm.services import saved_views
from crm.services.customers import ListQuery, count_matching
from crm.services.shop import get_settings

from . import factories
from .conftest import AuthActions
from .factories import make_customer
from .html import page, parse

HTMX = {"HX-Request": "true"}


def _views(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(view.name, view.args) for view in saved_views.all_views()]


def _view_tabs(response, tablist: str = "Saved views") -> dict[str, str]:
    """The saved view tabs as name -> aria-selected (the name without its count)."""
    tabs = page(response).by_role("tablist", tablist).all_by_role("tab")
    return {tab.find(class_="view-name").text: tab["aria-selected"] for tab in tabs}


def _view_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SavedView.id).where(SavedView.name == name))


def _save(client, name: str, query: str = "q=taylor", **kwargs):
    return client.post(f"/customers/views?{query}", data={"name": name}, **kwargs)


def _trail(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "view")
                                       .order_by(AuditEvent.id)))


@pytest.fixture
def customers(app):
    """Two Taylors (one VIP), a Lee with an old order, and a prospect."""
    with app.app_context():
        make_customer("Alex", "Taylor", email="alex@shop.test", orders_spec=[(200_000, "paid")])
        make_customer("Sam", "Taylor", email="sam.t@shop.test")
        make_customer("Pat", "Lee", email="pat@shop.test")
        db.session.commit()


# ---- the built-in Lapsed view ---------------------------------------------------------------------------


def test_a_new_shop_starts_with_the_lapsed_view(logged_in, app):
    response = logged_in.get("/customers")
    assert _view_tabs(response) == {"Lapsed": "false"}
    assert _views(app) == [("Lapsed", {})]
    with app.app_context():
        assert saved_views.ensure_lapsed() is None  # once only


def test_the_lapsed_view_follows_the_setting(app, owner):
    with app.app_context():
        lapsed = saved_views.all_views()[0]
        shop = get_settings()
        assert saved_views.effective_args(lapsed, shop) == {"lapsed_days": "180"}
        shop.lapsed_days = 30
        assert saved_views.effective_args(lapsed, shop) == {"lapsed_days": "30"}


def test_the_lapsed_view_lists_paid_customers_whose_last_order_is_old(logged_in, app):
    now = datetime.now(timezone.utc)
    with app.app_context():
        make_customer("Old", "Buyer", orders_spec=[(5_000, "paid")])  # ordered on the factory's fixed date
        recent = make_customer("New", "Buyer")
        factories.order(recent, placed_at=now - timedelta(days=3))
        make_customer("Never", "Bought")
        lapsed_id = saved_views.all_views()[0].id
        db.session.commit()
    doc = page(logged_in.get(f"/customers?view={lapsed_id}"))
    names = [row.find(class_="customer-name").text for row in doc.by_role("table").all_by_role("row")[1:]]
    assert names == ["Old Buyer"]
    assert doc.by_role("tab", "Lapsed 1")["aria-selected"] == "true"
    exported = logged_in.get(doc.link("Export CSV")["href"]).get_data(as_text=True)
    assert "Old" in exported and "Buyer" in exported and "New" not in exported and "Never" not in exported


def test_lapsed_after_days_is_a_setting_in_the_trail(logged_in, app):
    form = page(logged_in.get("/settings")).button("Save settings").form
    assert form.field("Lapsed after (days)").value == "180"
    data = {**form.form_data(), "lapsed_days": "90"}
    assert logged_in.post("/settings", data=data).status_code == 302
    with app.app_context():
        assert get_settings().lapsed_days == 90
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.field == "Lapsed after (days)")).one()
        assert (event.old_value, event.new_value) == ("180", "90")


@pytest.mark.parametrize("typed", ["0", "3651", "-5", "abc", "1e3", "", "٣٠", "12.5"])
def test_lapsed_after_days_must_be_1_to_3650(logged_in, app, typed):
    form = page(logged_in.get("/settings")).button("Save settings").form
    response = logged_in.post("/settings", data={**form.form_data(), "lapsed_days": typed, "shop_name": "Changed"})
    assert response.status_code == 422
    field = page(response).field("Lapsed after (days)")
    assert field.invalid and "Enter a whole number of days from 1 to 3650" in field.description
    with app.app_context():
        assert get_settings().lapsed_days == 180 and get_settings().shop_name == "Koala Goods"


def test_the_lapsed_view_can_be_renamed_and_deleted(logged_in, app):
    lapsed_id = _view_id(app, "Lapsed")
    assert logged_in.post(f"/customers/views/{lapsed_id}/rename", data={"name": "Gone quiet"}).status_code == 303
    assert _views(app) == [("Gone quiet", {})]
    assert logged_in.post(f"/customers/views/{lapsed_id}/delete").status_code == 303
    assert _views(app) == []
    assert page(logged_in.get("/customers")).all_by_role("tablist", "Saved views") == []


def test_the_lapsed_view_speaks_the_readers_language_until_someone_renames_it(logged_in, app):
    lapsed_id = _view_id(app, "Lapsed")
    logged_in.post("/account/display", data={"display-language": "ms", "display-theme": "system"})
    assert _view_tabs(logged_in.get("/customers"), "Paparan tersimpan") == {"Tidak aktif": "false"}
    form = page(logged_in.get(f"/customers/views/{lapsed_id}/rename")).button("Namakan semula").form
    assert form.field("Nama paparan").value == "Tidak aktif"
    # Sending the name as shown keeps the stored one: nothing is renamed, nothing is in the trail.
    assert logged_in.post(f"/customers/views/{lapsed_id}/rename", data={"name": "Tidak aktif"}).status_code == 303
    assert _views(app) == [("Lapsed", {})] and _trail(app) == []
    logged_in.post(f"/customers/views/{lapsed_id}/rename", data={"name": "Senyap"})
    assert _view_tabs(logged_in.get("/customers"), "Paparan tersimpan") == {"Senyap": "false"}
    logged_in.post("/account/display", data={"display-language": "en", "display-theme": "system"})
    assert _view_tabs(logged_in.get("/customers")) == {"Senyap": "false"}  # a typed name stays as typed


# ---- saving ---------------------------------------------------------------------------------------------


def test_save_view_form_carries_the_list(logged_in, customers):
    doc = page(logged_in.get("/customers?q=taylor&sort=name&dir=asc"))
    opener = doc.button("Save view").form
    assert opener.form_data() == {"q": "taylor", "sort": "name", "dir": "asc"}
    response = logged_in.get("/customers/views/new", query_string=opener.form_data())
    form = page(response).button("Save").form
    assert form.field("View name").value == ""
    assert form["action"] == "/customers/views?q=taylor&sort=name&dir=asc"


def test_save_view_opens_it_on_its_own_tab(logged_in, app, customers):
    response = _save(logged_in, "  The   Taylors ", "q=taylor&segment=vip")
    view_id = _view_id(app, "The Taylors")
    assert response.status_code == 303 and response.headers["Location"] == f"/customers?view={view_id}"
    assert _views(app)[-1] == ("The Taylors", {"q": "taylor", "segment": "vip"})
    response = logged_in.get(response.headers["Location"])
    doc = page(response)
    assert "Saved the view “The Taylors”. Everyone on the team sees it." in doc.by_role("status").text
    assert _view_tabs(response) == {"Lapsed": "false", "The Taylors": "true"}
    assert doc.by_role("tab", "The Taylors 1")
    assert [t["aria-selected"] for t in doc.by_role("tablist", "Segments").all_by_role("tab")] == ["false"] * 5
    assert doc.by_role("tabpanel")["aria-labelledby"] == f"view-tab-{view_id}"
    assert doc.field("Search customers").value == "taylor"
    assert _trail(app) == ["Saved the view “The Taylors”"]


def test_a_view_keeps_its_tab_through_its_pages(logged_in, app, customers):
    _save(logged_in, "Taylors by name", "q=taylor&sort=name&dir=asc")
    response = logged_in.get("/customers?q=taylor&sort=name&dir=asc&page=1")
    assert _view_tabs(response)["Taylors by name"] == "true"
    response = logged_in.get("/customers?q=taylor&sort=name&dir=desc")  # another sort: no longer the view
    assert _view_tabs(response)["Taylors by name"] == "false"
    assert page(response).button("Save view")


def test_htmx_opens_the_form_in_place_and_goes_to_the_view(logged_in, app, customers):
    response = logged_in.get("/customers/views/new?q=taylor", headers=HTMX)
    assert b"<html" not in response.data and page(response).field("View name")
    response = _save(logged_in, "Taylors", headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/customers?view={_view_id(app, 'Taylors')}"


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the view"),
    ("   ", "Enter a name for the view"),
    ("x" * 61, "Keep the view name to 60 characters"),
    ("a\x00b", "Remove the invisible control characters"),
    ("a\u202eb", "Remove the invisible control characters"),
    ("LAPSED", "There is a view called “Lapsed” already: choose another name"),
])
def test_a_name_that_cant_be_used_saves_nothing(logged_in, app, customers, name, message):
    response = _save(logged_in, name)
    assert response.status_code == 422
    field = page(response).field("View name")
    assert field.invalid and field.description == message and field.value == name
    assert _views(app) == [("Lapsed", {})] and _trail(app) == []
    # htmx gets the form back in place, with the message
    response = _save(logged_in, name, headers=HTMX)
    assert response.status_code == 200 and page(response).field("View name").description == message


def test_sixty_characters_are_fine(logged_in, app, customers):
    assert _save(logged_in, "é" * 60).status_code == 303
    assert _views(app)[-1][0] == "é" * 60


def test_names_are_unique_in_any_case(logged_in, app, customers):
    assert _save(logged_in, "Taylors").status_code == 303
    response = _save(logged_in, "tAYLORS", "q=lee")
    assert response.status_code == 422
    assert "There is a view called “Taylors” already" in page(response).field("View name").description


@pytest.mark.parametrize("query", ["", "segment=vip", "page=3", "segment=nope&junk=1"])
def test_a_bare_segment_tab_is_not_saved_again(logged_in, app, query):
    response = _save(logged_in, "Everyone", query)
    assert response.status_code == 422
    assert "This list is a segment tab already" in page(response).field("View name").description
    assert page(logged_in.get(f"/customers?{query}")).all_by_role("button", "Save view") == []


def test_the_same_list_is_not_saved_twice(logged_in, app, customers):
    _save(logged_in, "Taylors", "q=taylor")
    response = _save(logged_in, "Taylors again", "q=taylor&page=2")
    assert response.status_code == 422
    assert page(response).field("View name").description == "The view “Taylors” already shows this list"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(max_size=80))
def test_any_typed_name_is_kept_squeezed_or_refused_with_a_message(app, typed):
    with app.app_context():
        try:
            name = saved_views.clean_name(typed, [])
        except Invalid as problem:
            assert str(problem)
        else:
            assert name == " ".join(typed.split()) and 1 <= len(name) <= 60


# ---- opening, counts, exports ---------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["999", "abc", "-1", "", "9" * 30])
def test_an_unknown_view_id_is_ignored_with_a_note(logged_in, customers, view):
    response = logged_in.get(f"/customers?view={view}&q=lee")
    assert response.status_code == 200
    doc = page(response)
    assert "That saved view doesn't exist any more" in doc.by_id("customer-results").text
    assert doc.field("Search customers").value == "lee"
    assert doc.by_role("tab", "All 1")["aria-selected"] == "true"


def test_a_deleted_view_is_ignored_with_a_note(logged_in, app, customers):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    logged_in.post(f"/customers/views/{view_id}/delete")
    response = logged_in.get(f"/customers?view={view_id}")
    assert "That saved view doesn't exist any more" in page(response).by_id("customer-results").text


def test_counts_follow_customers_as_they_change(logged_in, app, customers):
    _save(logged_in, "Taylors")
    assert page(logged_in.get("/customers")).by_role("tab", "Taylors 2")
    with app.app_context():
        make_customer("Jo", "Taylor")
        db.session.commit()
    doc = page(logged_in.get("/customers?segment=prospect", headers=HTMX))
    assert doc.by_role("tab", "Taylors 3")["aria-selected"] == "false"


def test_on_a_view_the_segment_tabs_lead_to_whole_segments(logged_in, app, customers):
    _save(logged_in, "Taylors")
    doc = page(logged_in.get(f"/customers?view={_view_id(app, 'Taylors')}"))
    assert doc.by_role("tab", "All 3")["href"] == "/customers"
    assert doc.by_role("tab", "VIP 1")["href"] == "/customers?segment=vip"


def test_exports_follow_the_open_view(logged_in, app, customers):
    _save(logged_in, "Taylors", "q=taylor&sort=name&dir=asc")
    doc = page(logged_in.get(f"/customers?view={_view_id(app, 'Taylors')}"))
    assert doc.link("Export CSV")["href"] == "/customers/export?q=taylor&sort=name&dir=asc"
    assert doc.link("Export for email marketing")["href"] == "/insights/export?q=taylor&sort=name&dir=asc"
    doc = page(logged_in.get(f"/customers?view={_view_id(app, 'Lapsed')}", headers=HTMX))  # out of band
    assert doc.link("Export CSV")["href"] == "/customers/export?lapsed_days=180"
    assert doc.link("Export for email marketing")["href"] == "/insights/export?lapsed_days=180"


def test_htmx_on_a_view_pushes_its_address(logged_in, app, customers):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    response = logged_in.get(f"/customers?view={view_id}", headers=HTMX)
    assert b"<html" not in response.data and response.headers["HX-Push-Url"] == f"/customers?view={view_id}"
    response = logged_in.get("/customers?q=taylor&page=2", headers=HTMX)
    assert response.headers["HX-Push-Url"] == f"/customers?view={view_id}&page=2"


# ---- renaming, moving, deleting -------------------------------------------------------------------------


def test_rename_a_view(logged_in, app, customers):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    doc = page(logged_in.get(f"/customers?view={view_id}"))
    assert doc.button("Rename view") and doc.button("Delete view") and doc.all_by_role("button", "Save view") == []
    form = page(logged_in.get(f"/customers/views/{view_id}/rename")).button("Rename").form
    assert form.field("View name").value == "Taylors"
    response = logged_in.post(f"/customers/views/{view_id}/rename", data={"name": "Taylor family"},
                              follow_redirects=True)
    assert "Renamed the view “Taylors” to “Taylor family”." in page(response).by_role("status").text
    assert _view_tabs(response)["Taylor family"] == "true"
    assert _trail(app)[-1] == "Renamed the view “Taylors” to “Taylor family”"


def test_rename_to_its_own_name_in_another_case_is_allowed(logged_in, app, customers):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    assert logged_in.post(f"/customers/views/{view_id}/rename", data={"name": "TAYLORS"}).status_code == 303
    assert logged_in.post(f"/customers/views/{view_id}/rename", data={"name": "TAYLORS"}).status_code == 303
    assert _views(app)[-1][0] == "TAYLORS" and len(_trail(app)) == 2


@pytest.mark.parametrize(("name", "message"), [("Lapsed", "There is a view called “Lapsed” already: choose another name"),
                                               ("", "Enter a name for the view")])
def test_rename_refuses_a_name_that_cant_be_used(logged_in, app, customers, name, message):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    response = logged_in.post(f"/customers/views/{view_id}/rename", data={"name": name})
    assert response.status_code == 422 and page(response).field("View name").description == message
    assert _views(app)[-1][0] == "Taylors"


def test_delete_asks_first_then_deletes_for_everyone(logged_in, app, customers):
    _save(logged_in, "Taylors")
    view_id = _view_id(app, "Taylors")
    confirm = page(logged_in.get(f"/customers/views/{view_id}/delete"))
    assert confirm.heading("Delete the view “Taylors”?")
    response = logged_in.post(confirm.button("Delete").form["action"], follow_redirects=True)
    assert "Deleted the view “Taylors”. No customer was changed." in page(response).by_role("status").text
    assert _views(app) == [("Lapsed", {})]
    assert _trail(app)[-1] == "Deleted the view “Taylors”"


def test_move_a_view_left_and_right(logged_in, app, customers):
    _save(logged_in, "Taylors")
    _save(logged_in, "Lees", "q=lee")
    lees = _view_id(app, "Lees")
    doc = page(logged_in.get(f"/customers?view={lees}"))
    assert doc.button("Move view left") and doc.all_by_role("button", "Move view right") == []
    logged_in.post(f"/customers/views/{lees}/move", data={"direction": "left"})
    assert [name for name, _ in _views(app)] == ["Lapsed", "Lees", "Taylors"]
    logged_in.post(f"/customers/views/{lees}/move", data={"direction": "sideways"})
    logged_in.post(f"/customers/views/{_view_id(app, 'Lapsed')}/move", data={"direction": "left"})
    assert [name for name, _ in _views(app)] == ["Lapsed", "Lees", "Taylors"]
    assert _trail(app)[-1] == "Moved the view “Lees” left"


@pytest.mark.parametrize(("method", "path"), [("get", "/customers/views/999/rename"), ("post", "/customers/views/999/rename"),
                                              ("get", "/customers/views/999/delete"), ("post", "/customers/views/999/delete"),
                                              ("post", "/customers/views/999/move")])
def test_an_unknown_view_answers_404(logged_in, method, path):
    assert getattr(logged_in, method)(path, data={"name": "x", "direction": "left"}).status_code == 404


# ---- the team -------------------------------------------------------------------------------------------


def test_views_are_shared_by_the_team_and_changed_by_those_who_edit(client, app, owner, customers):
    with app.app_context():
        factories.member("sam@shop.test", "staff")
        factories.member("rio@shop.test", "read_only", name="Rio Reader")
        db.session.commit()
    staff = AuthActions(app.test_client())
    staff._client.post("/login", data={"email": "sam@shop.test", "password": factories.MEMBER_PASSWORD})
    assert _save(staff._client, "Sam's Taylors").status_code == 303
    reader = app.test_client()
    reader.post("/login", data={"email": "rio@shop.test", "password": factories.MEMBER_PASSWORD})
    response = reader.get("/customers")
    assert _view_tabs(response) == {"Lapsed": "false", "Sam's Taylors": "false"}
    assert page(response).all_by_role("button", "Save view") == []
    view_id = _view_id(app, "Sam's Taylors")
    assert page(reader.get(f"/customers?view={view_id}")).all_by_role("button", "Rename view") == []
    assert _save(reader, "Mine").status_code == 403
    assert reader.post(f"/customers/views/{view_id}/delete").status_code == 403
    AuthActions(client).login()
    assert _view_tabs(client.get("/customers"))["Sam's Taylors"] == "false"
    with app.app_context():
        view = db.session.get(SavedView, view_id)
        assert view.created_by.email == "sam@shop.test"


def test_a_database_made_from_the_models_gets_the_lapsed_view_at_setup(client, app):
    with app.app_context():
        assert saved_views.all_views() == []
    response = client.post("/setup", data={"shop_name": "Koala Goods", "email": "o@shop.test",
                                           "password": "correct horse battery"})
    assert response.status_code in (302, 303)
    assert _views(app) == [("Lapsed", {})]
    with app.app_context():
        assert parse(client.get("/customers").get_data()).by_role("tablist", "Saved views")


def test_counts_from_kept_counts_match_counting(logged_in, app, customers):
    with app.app_context():
        factories.address(make_customer("Kim", "Park", orders_spec=[(300_000, "paid")]), city="Hobart", state="TAS")
        db.session.commit()
    _save(logged_in, "VIPs by spend", "segment=vip&sort=spent&dir=desc")
    _save(logged_in, "Hobart VIPs", "segment=vip&country=AU&state=TAS&city=Hobart")
    _save(logged_in, "Hobart search", "q=park&country=AU&state=TAS&city=Hobart")
    doc = page(logged_in.get("/customers"))
    for name in ("VIPs by spend 2", "Hobart VIPs 1", "Hobart search 1"):
        assert doc.by_role("tab", name)


def test_the_lapsed_count_is_the_lapsed_list(logged_in, app):
    now = datetime.now(timezone.utc)
    with app.app_context():
        for days, total in ((400, 300_000), (200, 5_000), (10, 5_000), (181, 200_000)):
            factories.order(make_customer("Buyer", str(days)), total, placed_at=now - timedelta(days=days))
        make_customer("Never", "Bought")
        db.session.commit()
        shop = get_settings()
        for segment in ("all", "vip", "new", "prospect"):
            query = ListQuery.from_args({"lapsed_days": "180", "segment": segment}, shop.currency)
            assert saved_views._count(query, shop) == count_matching(query, shop.country), segment
    assert page(logged_in.get("/customers")).by_role("tab", "Lapsed 3")


def test_a_sixty_character_name_that_case_folds_longer_is_kept(logged_in, app, customers):
    name = "ﬃ" * 60  # each folds to three letters: 180 in the key
    assert logged_in.post("/customers/views?q=taylor", data={"name": name}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(SavedView.name_key).where(SavedView.name == name)) == "ffi" * 60
