"""The list's "Columns": which columns show until someone chooses, each person's choice kept on their account
and applied to the table and the phone's card, the form's way back to the same list, and bad input."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import SavedView, User
from crm.services import list_columns

from . import factories
from .html import parse

DEFAULT_HEADERS = ["Name", "Email", "Contact number", "Tags", "Segment", "Total spent", "Last order", "Location"]


def classes(element) -> list[str]:
    return (element.get("class") or "").split()


def list_table(client, url: str = "/customers"):
    """The customer list's table."""
    doc = parse(client.get(url).get_data(as_text=True))
    return next(table for table in doc.find_all("table") if "customer-list" in classes(table))


def headers(client, url: str = "/customers") -> list[str]:
    """The list table's column headers as they read, without the selection box's and the sort arrows."""
    return [th.text.strip(" ↕↓↑") for th in list_table(client, url).find_all("th") if "select-cell" not in classes(th)]


def cell(row, key: str):
    """A row's cell of one column."""
    return next(td for td in row.find_all("td") if f"col-{key}" in classes(td))


def choose(client, *keys: str, query: str = ""):
    return client.post("/customers/columns" + (f"?{query}" if query else ""),
                       data=MultiDict([("column", key) for key in keys]))


@pytest.fixture(autouse=True)
def ada(app):
    """A customer, so the list has a table."""
    factories.committed_customer(app, "Ada", "Lovelace", email="ada@example.com", company_name="Engines Pty Ltd",
                                 city="Bondi", state="NSW")


def test_a_new_account_sees_the_default_columns(logged_in, app):
    assert headers(logged_in) == DEFAULT_HEADERS
    page = parse(logged_in.get("/customers").get_data(as_text=True))
    boxes = {box["value"]: "checked" in box.attrs for box in page.by_id("columns-panel").find_all("input", name="column")}
    assert boxes == {column.key: column.default for column in list_columns.COLUMNS}
    assert page.by_role("group", "Show these columns").by_role("checkbox", "Customer since")


def test_choosing_columns_keeps_them_and_comes_back_to_the_same_list(logged_in, app):
    response = choose(logged_in, "orders", "company", "spent", "email", query="segment=prospect&sort=name&dir=asc")
    assert response.status_code == 303
    assert response.headers["Location"] == "/customers?segment=prospect&sort=name&dir=asc"
    assert headers(logged_in) == ["Name", "Email", "Company", "Orders", "Total spent"]
    row = list_table(logged_in).find("tbody").find("tr")
    assert cell(row, "company").text == "Engines Pty Ltd"
    assert "no-phone" in classes(cell(row, "company"))  # the phone's card leaves it out
    assert "no-phone" not in classes(cell(row, "spent"))
    with app.app_context():
        assert db.session.scalar(db.select(User.list_columns)) == ["email", "company", "orders", "spent"]


def test_each_person_has_their_own_columns(logged_in, app, client):
    with app.app_context():
        factories.member("rio@shop.test", "read_only")
        db.session.commit()
    choose(logged_in, "segment")
    reader = app.test_client()
    reader.post("/login", data={"email": "rio@shop.test", "password": factories.MEMBER_PASSWORD})
    assert headers(reader) == DEFAULT_HEADERS
    assert choose(reader, "location", "phone").status_code == 303  # seeing the list is enough to choose
    assert headers(reader) == ["Name", "Contact number", "Location"]
    assert headers(logged_in) == ["Name", "Segment"]


def test_from_a_saved_views_tab_the_form_comes_back_to_the_view(logged_in, app):
    assert logged_in.post("/customers/views?q=ada", data={"name": "Adas"}).status_code == 303
    with app.app_context():
        view_id = db.session.scalar(db.select(SavedView.id).where(SavedView.name == "Adas"))
    page = parse(logged_in.get(f"/customers?view={view_id}").get_data(as_text=True))
    assert page.by_id("columns-panel").find("form")["action"] == f"/customers/columns?view={view_id}"
    assert choose(logged_in, "email", query=f"view={view_id}").headers["Location"] == f"/customers?view={view_id}"


def test_nothing_ticked_leaves_the_name_and_unknown_columns_are_dropped(logged_in, app):
    assert choose(logged_in, "password_hash", "email", "", "EMAIL").status_code == 303
    assert headers(logged_in) == ["Name", "Email"]
    choose(logged_in)
    assert headers(logged_in) == ["Name"]


def test_a_sortable_column_hidden_still_sorts_from_the_url_and_the_phones_sort_bar(logged_in, app):
    choose(logged_in, "email")
    response = logged_in.get("/customers?sort=orders&dir=desc")
    assert response.status_code == 200
    assert parse(response.get_data(as_text=True)).by_role("link", "Sort by Orders, descending")


def test_signed_out_it_asks_to_log_in(client, owner):
    response = choose(client, "email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticked=st.lists(st.one_of(st.sampled_from(list(list_columns.BY_KEY)), st.text(max_size=12)), max_size=14))
def test_whatever_is_ticked_the_list_shows_the_known_columns_in_its_order(logged_in, app, ticked):
    assert choose(logged_in, *ticked).status_code == 303
    expected = [column.label for column in list_columns.COLUMNS if column.key in ticked]
    assert headers(logged_in)[1:] == expected
