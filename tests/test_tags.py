"""Tags on the profile (Add tag, Remove tag <name>, with htmx and as plain form posts), chips in the list's
rows, and Settings › Tags (list with counts, rename, recolour, merge, delete)."""

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, Tag
from crm.services import tags

from . import factories
from .conftest import AuthActions
from .html import page, parse


@pytest.fixture
def customer_id(app):
    with app.app_context():
        cid = factories.make_customer("Tia", "Tagged").id
        db.session.commit()
        return cid


def tag_names(app, customer_id) -> list[str]:
    with app.app_context():
        return [t.name for t in db.session.get(Customer, customer_id).tags]


def make_tag(app, name, *holders, colour=None) -> int:
    with app.app_context():
        tag = tags.get_or_create(name)
        tag.colour = colour
        for cid in holders:
            tags.add(db.session.get(Customer, cid), tag, None)
        db.session.commit()
        return tag.id


def kept_counts_are_right(app) -> bool:
    with app.app_context():
        return all(t.customers == db.session.scalar(select(func.count()).where(CustomerTag.tag_id == t.id))
                   for t in db.session.scalars(select(Tag)))


# ---- the profile -----------------------------------------------------------------------------------------------


def test_profile_has_the_tags_section_with_a_combobox(logged_in, app, customer_id):
    make_tag(app, "Wholesale")
    doc = page(logged_in.get(f"/customers/{customer_id}"))
    assert doc.heading("Tags")
    box = doc.by_role("combobox", "Add tag")
    assert box["list"] == "tag-suggestions" and box.form["action"] == f"/customers/{customer_id}/tags"
    assert [o["value"] for o in doc.by_id("tag-suggestions").find_all("option")] == ["Wholesale"]
    assert "No tags yet." in doc.by_id("tags").text


def test_add_tag_with_htmx_returns_the_section(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/tags", data={"name": "  Wholesale  buyer "},
                              headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<div id="tags"')
    assert parse(logged_in.get(f"/customers/{customer_id}").get_data()).by_id("tags-status")["aria-live"] == "polite"
    doc = parse(html)
    assert doc.button("Remove tag Wholesale buyer")
    assert doc.by_id("tags-status").text == "Tag “Wholesale buyer” added."  # swapped into the live region
    assert tag_names(app, customer_id) == ["Wholesale buyer"]


def test_add_existing_tag_in_another_case_uses_it(logged_in, app, customer_id):
    make_tag(app, "VIP")
    logged_in.post(f"/customers/{customer_id}/tags", data={"name": "vip"})
    assert tag_names(app, customer_id) == ["VIP"]
    response = logged_in.post(f"/customers/{customer_id}/tags", data={"name": "Vip"}, follow_redirects=True)
    assert "Tia Tagged already has the tag “VIP”." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 1
        assert tags.find("vip").customers == 1


def test_add_tag_without_javascript_redirects_to_the_section(logged_in, app, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/tags", data={"name": "Local"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/customers/{customer_id}#tags")
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tag “Local” added." in html and parse(html).button("Remove tag Local")


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Type a tag name"), ("x" * 41, "Keep a tag name to 40 characters (this one has 41)"),
    ("a\x00b", "Remove the invisible control characters"), ("Bad\u202e", "Remove the invisible control characters"),
    ("a;b", "Leave out commas and semicolons: they separate tags in files"),
])
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_name_is_refused_with_its_message(logged_in, app, customer_id, typed, message, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = logged_in.post(f"/customers/{customer_id}/tags", data={"name": typed}, headers=headers)
    assert response.status_code == (200 if htmx else 422)
    doc = parse(response.get_data(as_text=True))
    box = doc.by_role("combobox", "Add tag")
    assert box["aria-invalid"] == "true" and box.description.endswith(message)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 0
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag")).all()


def test_a_41_character_name_is_refused_and_40_fit(logged_in, app, customer_id):
    logged_in.post(f"/customers/{customer_id}/tags", data={"name": "y" * 41})
    logged_in.post(f"/customers/{customer_id}/tags", data={"name": "y" * 40})
    assert tag_names(app, customer_id) == ["y" * 40]


def test_remove_tag_with_htmx_and_twice(logged_in, app, customer_id):
    tag_id = make_tag(app, "Local", customer_id)
    url = f"/customers/{customer_id}/tags/{tag_id}/remove"
    response = logged_in.post(url, headers={"HX-Request": "true"})
    doc = parse(response.get_data(as_text=True))
    assert doc.by_id("tags-status").text == "Tag “Local” removed." and "No tags yet." in doc.text
    again = page(logged_in.post(url, follow_redirects=True))
    assert "Tia Tagged doesn't have the tag “Local”." in again.text
    assert logged_in.post(f"/customers/{customer_id}/tags/999/remove").status_code == 404
    assert kept_counts_are_right(app)


def test_the_trail_shows_each_change(logged_in, app, customer_id):
    make_tag(app, "Wholesale")
    logged_in.post(f"/customers/{customer_id}/tags", data={"name": "wholesale"})
    logged_in.post(f"/customers/{customer_id}/tags", data={"name": "Local"})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.actor, e.field, e.old_value, e.new_value) for e in events] == [
            ("owner@shop.test", "Tags", None, "Wholesale"), ("owner@shop.test", "Tags", "Wholesale", "Local; Wholesale")]


def test_an_anonymized_customer_takes_no_tags(logged_in, app):
    with app.app_context():
        customer = factories.make_customer("Ann", "Nym", orders_spec=[(100, "paid")])
        from crm.services import erasure
        erasure.anonymize_customer(customer, None)
        db.session.commit()
        cid = customer.id
    assert logged_in.post(f"/customers/{cid}/tags", data={"name": "Local"}).status_code == 409
    assert page(logged_in.get(f"/customers/{cid}")).all_by_role("combobox", "Add tag") == []


def test_read_only_member_sees_chips_but_no_buttons(app, client, owner, customer_id):
    make_tag(app, "Wholesale", customer_id, colour="teal")
    with app.app_context():
        factories.member("r@shop.test", "read_only")
        db.session.commit()
    AuthActions(client).login("r@shop.test", factories.MEMBER_PASSWORD)
    doc = page(client.get(f"/customers/{customer_id}"))
    chips = doc.by_id("tags").find_all("li")
    assert [c.text for c in chips] == ["Wholesale"] and chips[0]["class"] == "tag-chip tag-teal"
    assert not doc.all_by_role("combobox", "Add tag") and not doc.all_by_role("button", "Remove tag Wholesale")
    assert client.post(f"/customers/{customer_id}/tags", data={"name": "x"}).status_code == 403


# ---- the list --------------------------------------------------------------------------------------------------


def test_a_row_shows_the_first_chip_and_how_many_more(logged_in, app, customer_id):
    for name in ("a", "b", "c", "d", "e"):
        make_tag(app, name, customer_id)
    row = next(r for r in page(logged_in.get("/customers")).find_all("tr") if "Tia Tagged" in r.text)
    assert [li.text for li in row.find("ul", class_="tag-chips").find_all("li")] == ["a", "+4 more"]


def test_list_rows_show_tag_chips(logged_in, app, customer_id):
    make_tag(app, "Wholesale", customer_id, colour="blue")
    make_tag(app, "a-first", customer_id, colour="teal")
    html = logged_in.get("/customers").get_data(as_text=True)
    row = next(r for r in parse(html).find_all("tr") if "Tia Tagged" in r.text)
    chips = row.find("ul", class_="tag-chips")
    assert chips.name == "Tags" and [li.text for li in chips.find_all("li")] == ["a-first", "+1 more"]
    partial = logged_in.get("/customers", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "tag-teal" in partial and "<html" not in partial


# ---- Settings › Tags -------------------------------------------------------------------------------------------


def test_settings_lists_tags_with_their_counts(logged_in, app, customer_id):
    other = factories.committed_customer(app, "Oli", "Other")
    make_tag(app, "Wholesale", customer_id, other)
    make_tag(app, "Local")
    doc = page(logged_in.get("/settings/tags"))
    assert doc.by_role("tablist", "Settings").by_role("tab", "Tags")["aria-selected"] == "true"
    assert doc.rows()[1:] == [["Local", "0 customers", "Edit"], ["Wholesale", "2 customers", "Edit"]]
    assert doc.link("Edit tag Wholesale")
    # each count leads to the list of the tag's customers, which shows exactly them
    listed = doc.link("2 customers tagged Wholesale")["href"]
    assert listed == "/customers?tag=Wholesale"
    rows = page(logged_in.get(listed)).by_role("table").all_by_role("row")
    assert sorted(row.all_by_role("link")[0].name for row in rows if row.all_by_role("cell")) == [
        "Oli Other", "Tia Tagged"]


def test_settings_without_tags_says_so(logged_in):
    assert "No tags yet." in logged_in.get("/settings/tags").get_data(as_text=True)


def test_rename_and_recolour(logged_in, app, customer_id):
    tag_id = make_tag(app, "Wholsale", customer_id)
    form = page(logged_in.get(f"/settings/tags/{tag_id}")).button("Save tag").form
    assert form.field("Name").value == "Wholsale" and form.field("Colour")
    response = logged_in.post(f"/settings/tags/{tag_id}", data={"name": "Wholesale", "colour": "green"},
                              follow_redirects=True)
    assert "Tag “Wholesale” saved." in response.get_data(as_text=True)
    assert tag_names(app, customer_id) == ["Wholesale"]
    with app.app_context():
        assert db.session.get(Tag, tag_id).colour == "green"
        listed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tags")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.field, e.old_value, e.new_value) for e in listed] == [("Tag name", "Wholsale", "Wholesale"),
                                                                        ("Tag colour", "None", "Green")]
        per_customer = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag")).all()[-1]
        assert (per_customer.old_value, per_customer.new_value) == ("Wholsale", "Wholesale")


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "local"}, "There is already a tag “Local”: merge “VIP” into it instead"),
    ({"name": ""}, "Type a tag name"), ({"name": "z" * 41}, "Keep a tag name to 40 characters (this one has 41)"),
    ({"name": "VIP", "colour": "chartreuse"}, "Choose one of the colours offered"),
])
def test_a_bad_rename_changes_nothing(logged_in, app, data, message):
    tag_id = make_tag(app, "VIP")
    make_tag(app, "Local")
    response = logged_in.post(f"/settings/tags/{tag_id}", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tag, tag_id).name == "VIP"


def test_merge_keeps_one_tag_on_each_customer(logged_in, app, customer_id):
    other = factories.committed_customer(app, "Oli", "Other")
    source = make_tag(app, "Wholesale", customer_id, other)
    target = make_tag(app, "Trade", customer_id)
    form = page(logged_in.get(f"/settings/tags/{source}")).button("Merge tag").form
    assert [o.text for o in form.field("Merge into").find_all("option")] == ["Trade"]
    response = logged_in.post(f"/settings/tags/{source}/merge", data={"into": str(target)}, follow_redirects=True)
    assert ("Tag “Wholesale” merged into “Trade”: 2 customers had it; 2 customers have “Trade” now."
            in response.get_data(as_text=True))
    assert tag_names(app, customer_id) == ["Trade"] == tag_names(app, other)
    assert kept_counts_are_right(app)


def test_merge_into_itself_or_nothing_is_refused(logged_in, app, customer_id):
    tag_id = make_tag(app, "Solo", customer_id)
    response = logged_in.post(f"/settings/tags/{tag_id}/merge", data={"into": str(tag_id)})
    assert response.status_code == 422 and "There is no other tag to merge into" in response.get_data(as_text=True)
    other = make_tag(app, "Other")
    response = logged_in.post(f"/settings/tags/{tag_id}/merge", data={"into": str(tag_id)})
    assert response.status_code == 422 and "Choose the tag to merge into" in response.get_data(as_text=True)
    assert logged_in.post(f"/settings/tags/{tag_id}/merge", data={"into": "x"}).status_code == 422
    assert tag_names(app, customer_id) == ["Solo"] and other


def test_delete_a_tag_used_by_many(logged_in, app):
    with app.app_context():
        for i in range(120):
            factories.customer(f"C{i}", "Many")
        tag = tags.get_or_create("Old")
        tags.add_to_many(tag, select(Customer.id), None)
        db.session.commit()
        tag_id = tag.id
    doc = page(logged_in.get(f"/settings/tags/{tag_id}/delete"))
    assert doc.heading("Delete tag “Old”?") and "120 customers will lose this tag." in doc.text
    response = logged_in.post(f"/settings/tags/{tag_id}/delete", follow_redirects=True)
    assert "Tag “Old” deleted. 120 customers lost it." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tag, tag_id) is None
        assert db.session.scalar(select(func.count()).select_from(CustomerTag)) == 0
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag",
                                                             AuditEvent.new_value.is_(None))).all()
        assert len(events) == 120
    assert logged_in.get(f"/settings/tags/{tag_id}").status_code == 404


def test_staff_cannot_open_settings_tags(app, client, owner):
    with app.app_context():
        factories.member("s@shop.test", "staff")
        db.session.commit()
    AuthActions(client).login("s@shop.test", factories.MEMBER_PASSWORD)
    assert client.get("/settings/tags").status_code == 403
