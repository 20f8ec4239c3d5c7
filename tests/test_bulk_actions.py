"""Bulk actions on the customer list: the selection boxes and the bar, each action's confirmation with its
count and what it skips, the action in one transaction with its trail, "all matching" with a search, empty
and stale selections, and who may do what."""

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import AuditEvent, Customer, DeletedCustomer
from crm.services import bulk, permissions, tags

from . import factories
from .conftest import make_customer
from .html import page, parse

OWNER_EMAIL = "owner@shop.test"


def subscribed(first_name: str, last_name: str = "Buyer", *, orders=(), email_marketing: bool = True, **fields):
    """A customer with email-marketing consent given (or not), and paid orders of these totals."""
    customer = make_customer(first_name, last_name, orders_spec=[(total, "paid") for total in orders], **fields)
    customer.email_marketing = email_marketing
    db.session.flush()
    return customer


def five_customers(app) -> dict[str, int]:
    """Ann, Bea and Cy without orders (Cy not subscribed), Dan and Eve with orders (Eve not subscribed),
    committed; their ids by first name."""
    with app.app_context():
        ids = {c.first_name: c.id for c in (
            subscribed("Ann", email="ann@example.test"), subscribed("Bea", email="bea@example.test"),
            subscribed("Cy", email_marketing=False), subscribed("Dan", orders=(5000,)),
            subscribed("Eve", orders=(9000,), email_marketing=False))}
        db.session.commit()
        return ids


@pytest.fixture
def shop(app):
    """The five customers."""
    return five_customers(app)


def form(*pairs) -> MultiDict:
    """Form fields, repeated names and all."""
    return MultiDict(pairs)


def ticked(*ids) -> MultiDict:
    """The list form's fields with these customers ticked."""
    return form(*(("id", str(i)) for i in ids), ("list", ""))


def confirmed(data: MultiDict) -> MultiDict:
    """The same selection, sent from the confirmation page."""
    return form(*data.items(multi=True), ("confirmed", "1"))


def events(action: str) -> list[AuditEvent]:
    """The trail's events of one action, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_each_row_and_the_page_have_a_box_and_the_bar_offers_every_action(logged_in, shop):
    html = page(logged_in.get("/customers"))
    for name in ("Ann Buyer", "Bea Buyer", "Cy Buyer", "Dan Buyer", "Eve Buyer"):
        assert html.by_role("checkbox", f"Select {name}")["form"] == "bulk-form"
    assert html.by_role("checkbox", "Select all on this page")
    bar = html.by_role("form", "Bulk actions")
    for label in ("Add tag", "Remove tag", "Export selected", "Turn off email marketing", "Delete"):
        assert bar.button(label)
    # Everyone is on this one page: nothing more to select.
    assert not html.all_by_role("checkbox", "Select all 5 matching")


def test_select_all_matching_is_offered_when_the_list_has_more_pages(logged_in, app, shop):
    app.config["PER_PAGE"] = 2
    html = page(logged_in.get("/customers?q=buyer"))
    assert html.by_role("checkbox", "Select all 5 matching")["name"] == "all"
    assert html.by_role("form", "Bulk actions").find("input", name="list")["value"] == "q=buyer"
    assert [i["value"] for i in html.find_all("input", name="page_id")] == [str(shop["Eve"]), str(shop["Dan"])]


def test_a_nameless_customer_is_selected_by_their_email(logged_in, app):
    with app.app_context():
        make_customer("", "", email="follower@example.test")
        db.session.commit()
    assert page(logged_in.get("/customers")).by_role("checkbox", "Select follower@example.test")


def test_delete_skips_customers_with_orders_and_says_so_before_and_after(logged_in, app, shop):
    data = ticked(*shop.values())
    html = page(logged_in.post("/customers/bulk/delete", data=data))
    assert html.heading("Delete 5 customers?")
    assert "2 of them have orders and are kept: customers with orders can't be deleted." in html.text
    assert html.button("Delete") and html.link("Cancel")["href"] == "/customers"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 0  # asking changed nothing
    response = logged_in.post("/customers/bulk/delete", data=confirmed(data))
    assert response.status_code == 303 and response.headers["Location"] == "/customers"
    message = ("Deleted 3 customers. They are in Recently deleted for 30 days. 2 with orders were kept: customers "
               "with orders can't be deleted.")
    assert message in page(logged_in.get("/customers")).text
    with app.app_context():
        assert set(db.session.scalars(select(Customer.first_name))) == {"Dan", "Eve"}
        assert sorted(db.session.scalars(select(DeletedCustomer.name))) == ["Ann Buyer", "Bea Buyer", "Cy Buyer"]
        assert sorted(e.subject for e in events("delete")) == ["Ann Buyer", "Bea Buyer", "Cy Buyer"]
        [bulk] = events("bulk")
        assert bulk.actor == OWNER_EMAIL and bulk.customer_id is None
        assert bulk.detail == "Delete: 3 customers changed, 2 skipped; 5 ticked on the list"


def test_deleting_only_customers_with_orders_offers_nothing_to_confirm(logged_in, shop):
    html = page(logged_in.post("/customers/bulk/delete", data=ticked(shop["Dan"], shop["Eve"])))
    assert html.heading("Delete 2 customers?")
    assert "2 of them have orders and are kept" in html.by_role("alert").text
    assert not html.all_by_role("button", "Delete")


def test_an_empty_selection_is_refused_and_changes_nothing(logged_in, app, shop):
    for slug in ("delete", "unsubscribe", "export"):
        response = logged_in.post(f"/customers/bulk/{slug}", data=confirmed(ticked()))
        assert response.status_code == 422
        assert "No customers are selected" in page(response).by_role("alert").text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 5
        assert events("bulk") == [] and events("export") == []


def test_ids_that_do_not_exist_or_were_deleted_meanwhile_drop_out(logged_in, app, shop):
    data = ticked(shop["Ann"], shop["Bea"], 999_999, 2**40, "x")
    assert page(logged_in.post("/customers/bulk/delete", data=data)).heading("Delete 2 customers?")
    # Bea is deleted from her profile while the confirmation page is open.
    assert logged_in.post(f"/customers/{shop['Bea']}/delete").status_code == 302
    logged_in.post("/customers/bulk/delete", data=confirmed(data))
    assert "Deleted 1 customer." in page(logged_in.get("/customers")).text
    with app.app_context():
        assert sorted(db.session.scalars(select(DeletedCustomer.name))) == ["Ann Buyer", "Bea Buyer"]
        assert events("bulk")[0].detail.startswith("Delete: 1 customer changed, 0 skipped")
    # Everyone ticked has gone since: nothing is selected any more.
    response = logged_in.post("/customers/bulk/delete", data=confirmed(ticked(shop["Ann"], shop["Bea"])))
    assert response.status_code == 422


def test_the_page_box_selects_the_page_without_javascript(logged_in, app, shop):
    app.config["PER_PAGE"] = 2
    bar = page(logged_in.get("/customers")).by_role("form", "Bulk actions")
    data = form(("list", ""), ("page", "1"), *(("page_id", i["value"]) for i in bar.find_all("input", name="page_id")))
    html = page(logged_in.post("/customers/bulk/unsubscribe", data=data))
    assert html.heading("Turn off email marketing for 2 customers?")
    assert "1 of them isn't subscribed and is skipped." in html.text  # Eve and Dan are the newest two


def test_turning_off_email_marketing_for_all_matching_a_search_keeps_the_consent_rules(logged_in, app, shop):
    with app.app_context():
        subscribed("Ann", "Other", email="ann.other@example.test")  # matches "ann" too
        db.session.commit()
    data = form(("list", "q=ann&segment=prospect"), ("all", "1"), ("id", str(shop["Bea"])))
    html = page(logged_in.post("/customers/bulk/unsubscribe", data=data))
    assert html.heading("Turn off email marketing for 2 customers?")
    response = logged_in.post("/customers/bulk/unsubscribe", data=confirmed(data))
    assert response.headers["Location"] == "/customers?segment=prospect&q=ann"
    assert "Turned off email marketing for 2 customers." in page(logged_in.get(response.headers["Location"])).text
    with app.app_context():
        people = {c.full_name: c for c in db.session.scalars(select(Customer))}
        assert not people["Ann Buyer"].email_marketing and not people["Ann Other"].email_marketing
        assert people["Bea Buyer"].email_marketing and people["Dan Buyer"].email_marketing
        assert people["Ann Buyer"].email_marketing_method == "dashboard"
        assert people["Ann Buyer"].email_marketing_at is not None
        changes = events("edit")
        assert sorted((e.subject, e.field, e.old_value, e.new_value, e.actor) for e in changes) == [
            ("Ann Buyer", "Email marketing", "Yes", "No", OWNER_EMAIL),
            ("Ann Other", "Email marketing", "Yes", "No", OWNER_EMAIL)]
        assert all(e.customer_id == people[e.subject].id for e in changes)
        assert events("bulk")[0].detail == ("Turn off email marketing: 2 customers changed, 0 skipped; "
                                            "all matching the list segment=prospect&q=ann")
    # The profile says it as a hand edit does.
    profile = page(logged_in.get(f"/customers/{shop['Ann']}")).text
    assert "Email marketing: Yes → No" in profile and "Not subscribed since" in profile


def test_customers_not_subscribed_are_skipped_and_counted(logged_in, app, shop):
    data = ticked(shop["Ann"], shop["Cy"], shop["Eve"])
    assert "2 of them aren't subscribed and are skipped." in page(
        logged_in.post("/customers/bulk/unsubscribe", data=data)).text
    logged_in.post("/customers/bulk/unsubscribe", data=confirmed(data))
    assert "Turned off email marketing for 1 customer. 2 weren't subscribed." in page(logged_in.get("/customers")).text
    with app.app_context():
        assert len(events("edit")) == 1
        assert db.session.get(Customer, shop["Cy"]).email_marketing_at is None  # untouched, as the writer does


def test_export_selected_downloads_those_customers_and_is_in_the_trail(logged_in, app, shop):
    data = ticked(shop["Bea"], shop["Dan"])
    html = page(logged_in.post("/customers/bulk/export", data=data))
    assert html.heading("Export 2 customers as a CSV file?") and html.button("Download CSV")
    response = logged_in.post("/customers/bulk/export", data=confirmed(data))
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="customers-selected-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["first_name"] for row in rows) == ["Bea", "Dan"]
    with app.app_context():
        [export] = events("export")
        assert export.detail == "Customer export: selected on the list, 2 customers"


def test_export_of_all_matching_follows_the_tab(logged_in, shop):
    data = form(("list", "segment=prospect"), ("all", "1"))
    response = logged_in.post("/customers/bulk/export", data=confirmed(data))
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row["first_name"] for row in rows) == ["Ann", "Bea", "Cy"]


def test_more_ids_than_any_page_are_refused(logged_in, shop):
    response = logged_in.post("/customers/bulk/delete", data=ticked(*range(1, 1002)))
    assert response.status_code == 422
    assert "Tick at most 1,000 customers" in page(response).by_role("alert").text


def test_junk_list_arguments_fall_back_to_the_whole_list(logged_in, shop):
    data = form(("list", "segment=nope&q=%00&page=-4&&=&sort=\x00"), ("all", "1"))
    assert page(logged_in.post("/customers/bulk/unsubscribe", data=data)).heading(
        "Turn off email marketing for 5 customers?")


@pytest.mark.parametrize("role, shown", [
    ("read_only", ()),
    ("staff", ("Add tag", "Remove tag", "Turn off email marketing")),
    ("manager", ("Add tag", "Remove tag", "Export selected", "Turn off email marketing", "Delete")),
])
def test_the_boxes_and_the_bar_show_only_what_the_member_may_do(app, client, owner, shop, role, shown):
    with app.app_context():
        factories.member("m@shop.test", role)
        db.session.commit()
    client.post("/login", data={"email": "m@shop.test", "password": factories.MEMBER_PASSWORD})
    html = page(client.get("/customers"))
    assert bool(html.all_by_role("checkbox", "Select Ann Buyer")) == bool(shown)
    buttons = [b.name for b in html.by_role("form", "Bulk actions").all_by_role("button")] if shown else []
    assert buttons == list(shown)
    granted = permissions.PRESETS[role]
    for slug, needed in (("delete", "delete"), ("export", "export"), ("unsubscribe", "edit")):
        status = client.post(f"/customers/bulk/{slug}", data=confirmed(ticked(shop["Ann"]))).status_code
        assert (status == 403) == (needed not in granted), (slug, status)


def test_an_htmx_swap_of_the_results_brings_the_bar_with_the_new_list(logged_in, shop):
    response = logged_in.get("/customers?segment=prospect", headers={"HX-Request": "true"})
    html = parse(response.get_data(as_text=True))
    assert html.find("input", name="list")["value"] == "segment=prospect"
    assert len(html.find_all("input", name="page_id")) == 3


def tag_customers(name: str, *ids: int) -> None:
    """Put the tag on these customers through the tag service."""
    tag = tags.get_or_create(name)
    for customer_id in ids:
        tags.add(db.session.get(Customer, customer_id), tag, None)


def test_add_tag_asks_for_the_tag_then_confirms_with_the_count_and_who_has_it(logged_in, app, shop):
    with app.app_context():
        tag_customers("Wholesale", shop["Bea"])
        db.session.commit()
    data = ticked(shop["Ann"], shop["Bea"], shop["Dan"])
    html = page(logged_in.post("/customers/bulk/add-tag", data=data))
    assert html.heading("Add a tag to 3 customers") and html.field("Tag")["list"] == "bulk-tag-choices"
    assert [o["value"] for o in html.find_all("option")] == ["Wholesale"]
    data.add("tag", "  wholesale ")
    html = page(logged_in.post("/customers/bulk/add-tag", data=data))
    assert html.heading("Add tag Wholesale to 3 customers?")
    assert "1 of them already has it." in html.text and "new tag" not in html.text
    logged_in.post("/customers/bulk/add-tag", data=confirmed(data))
    assert "Added tag Wholesale to 2 customers. 1 already had it." in page(logged_in.get("/customers")).text
    with app.app_context():
        tag = tags.find("Wholesale")
        assert tag.customers == 3
        assert sorted((e.subject, e.old_value, e.new_value) for e in events("tag") if e.actor == OWNER_EMAIL) == [
            ("Ann Buyer", None, "Wholesale"), ("Dan Buyer", None, "Wholesale")]
        assert events("bulk")[0].detail == "Add tag Wholesale: 2 customers changed, 1 skipped; 3 ticked on the list"


def test_add_tag_makes_a_new_tag_and_refuses_a_name_the_rule_refuses(logged_in, app, shop):
    data = ticked(shop["Ann"])
    for name in ("", "x" * 41, "a\x07b"):
        response = logged_in.post("/customers/bulk/add-tag", data=form(*data.items(multi=True), ("tag", name)))
        assert response.status_code == 422
        field = page(response).field("Tag")
        assert field.invalid and field.value == name
    data.add("tag", "Newsletter 2027")
    assert "“Newsletter 2027” is a new tag: it is added to the shop's tag list." in page(
        logged_in.post("/customers/bulk/add-tag", data=data)).text
    logged_in.post("/customers/bulk/add-tag", data=confirmed(data))
    with app.app_context():
        assert [t.name for t in tags.listing()] == ["Newsletter 2027"]
        assert [t.name for t in db.session.get(Customer, shop["Ann"]).tags] == ["Newsletter 2027"]


def test_remove_tag_offers_the_shops_tags_and_skips_who_lacks_it(logged_in, app, shop):
    with app.app_context():
        tag_customers("VIP list", shop["Ann"], shop["Cy"])
        tag_customers("Wholesale", shop["Ann"])
        db.session.commit()
    data = form(("list", "segment=prospect"), ("all", "1"))
    html = page(logged_in.post("/customers/bulk/remove-tag", data=data))
    assert html.heading("Remove a tag from 3 customers")
    assert [o.text for o in html.field("Tag").find_all("option")] == ["VIP list", "Wholesale"]
    data.add("tag", "vip list")
    html = page(logged_in.post("/customers/bulk/remove-tag", data=data))
    assert html.heading("Remove tag VIP list from 3 customers?") and "1 of them doesn't have it." in html.text
    logged_in.post("/customers/bulk/remove-tag", data=confirmed(data))
    assert "Removed tag VIP list from 2 customers. 1 didn't have it." in page(
        logged_in.get("/customers?segment=prospect")).text
    with app.app_context():
        assert tags.find("VIP list").customers == 0 and tags.find("Wholesale").customers == 1


def test_remove_tag_refuses_a_tag_the_shop_has_not(logged_in, shop):
    response = logged_in.post("/customers/bulk/remove-tag", data=form(("id", str(shop["Ann"])), ("list", ""),
                                                                      ("tag", "Nope"), ("confirmed", "1")))
    assert response.status_code == 422
    assert page(response).by_role("alert").text == "There is no tag “Nope”: choose one of the list."


def test_an_empty_selection_is_said_before_the_tag_is_asked_for(logged_in, shop):
    response = logged_in.post("/customers/bulk/add-tag", data=ticked())
    assert response.status_code == 422 and "No customers are selected" in page(response).by_role("alert").text


def test_a_write_that_loses_a_race_changes_nothing_and_says_so(logged_in, app, shop, monkeypatch):
    def raced(*args, **kwargs):
        bulk.unsubscribe(bulk.Selection(tuple(shop.values())).statement("AU"), None)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(bulk, "run", raced)
    response = logged_in.post("/customers/bulk/unsubscribe", data=confirmed(ticked(shop["Ann"])))
    assert response.status_code == 409
    assert "Nothing was changed" in page(response).by_role("alert").text
    with app.app_context():
        assert db.session.get(Customer, shop["Ann"]).email_marketing and events("edit") == []


def test_the_trail_names_the_list_a_selection_was_made_on(app):
    with app.app_context():
        assert bulk.Selection((4, 7), "page=2&q=anna&segment=vip").describe() == \
            "2 ticked on the list segment=vip&q=anna"
        assert bulk.Selection((), "sort=name&dir=asc&junk=1", everything=True).describe() == \
            "all matching the list sort=name&dir=asc"
        assert bulk.Selection((), "", everything=True).describe() == "all matching the list"


def test_all_matching_follows_the_lists_filters(logged_in, app, shop):
    with app.app_context():
        tag_customers("Wholesale", shop["Ann"], shop["Dan"])
        db.session.commit()
    html = page(logged_in.get("/customers?tag=Wholesale"))
    assert html.by_role("form", "Bulk actions").find("input", name="list")["value"] == "tag=Wholesale"
    data = form(("list", "tag=Wholesale"), ("all", "1"))
    assert page(logged_in.post("/customers/bulk/delete", data=data)).heading("Delete 2 customers?")
    data = form(("list", "marketing=yes"), ("all", "1"))
    assert page(logged_in.post("/customers/bulk/unsubscribe", data=data)).heading(
        "Turn off email marketing for 3 customers?")
    data = form(("list", "tag=Wholesale&tag=Nope&orders_min=1"), ("all", "1"))
    response = logged_in.post("/customers/bulk/export", data=confirmed(data))
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["first_name"] for row in rows] == ["Dan"]
    with app.app_context():
        assert events("export")[0].detail == "Customer export: selected on the list, 1 customer"
