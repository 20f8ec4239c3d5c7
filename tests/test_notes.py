"""Private notes on the profile: add, edit, delete, with htmx and as plain form posts."""


import pytest

from crm.extensions import db
from crm.models import Note

from .factories import make_customer
from .html import parse


@pytest.fixture
def customer_id(app):
    """A customer to write notes about."""
    with app.app_context():
        cid = make_customer("Nora", "Notes").id
        db.session.commit()
        return cid


def notes_in(html: str) -> list[str]:
    """Note texts in page order."""
    return [body.text for body in parse(html).find_all("p", class_="note-body")]


def test_profile_has_the_note_form(logged_in, customer_id):
    html = logged_in.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert parse(html).field("Add a note") and parse(html).button("Add note")
    assert "No notes yet." in html


def test_add_note_with_htmx_returns_the_section(logged_in, customer_id, app):
    response = logged_in.post(f"/customers/{customer_id}/notes", data={"body": "  Likes <b>red</b> \n"},
                              headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.startswith('<div id="notes">')
    assert notes_in(html) == ["Likes <b>red</b>"] and parse(html).find("b") is None  # as typed, not markup
    assert "owner@shop.test" in html
    assert "<textarea" in html and "Likes" not in html.split("</textarea>")[0]  # the form is empty again
    with app.app_context():
        note = db.session.scalars(db.select(Note)).one()
        assert note.body == "Likes <b>red</b>" and note.author.email == "owner@shop.test"


def test_newest_note_first(logged_in, customer_id):
    for text in ("first", "second", "third"):
        logged_in.post(f"/customers/{customer_id}/notes", data={"body": text})
    assert notes_in(logged_in.get(f"/customers/{customer_id}").get_data(as_text=True)) == ["third", "second", "first"]


def test_add_note_without_javascript_redirects_to_the_profile(logged_in, customer_id):
    response = logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Phoned about sizes"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}#notes")
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Note added." in html and notes_in(html) == ["Phoned about sizes"]


@pytest.mark.parametrize(("body", "message"), [("", "Write the note first"), ("   \n ", "Write the note first"),
                                               ("x" * 5001, "Keep a note under 5,000 characters")])
def test_bad_note_is_refused_and_keeps_the_text(logged_in, customer_id, app, body, message):
    plain = logged_in.post(f"/customers/{customer_id}/notes", data={"body": body})
    assert plain.status_code == 422
    for response in (plain, logged_in.post(f"/customers/{customer_id}/notes", data={"body": body},
                                           headers={"HX-Request": "true"})):
        html = response.get_data(as_text=True)
        assert message in html and 'aria-invalid="true"' in html
        if body.strip():
            assert body in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Note)) == 0


@pytest.fixture
def note_id(logged_in, customer_id, app):
    """One note on the customer."""
    logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Original"})
    with app.app_context():
        return db.session.scalar(db.select(Note.id))


def test_edit_note_inline(logged_in, customer_id, note_id, app):
    base = f"/customers/{customer_id}/notes/{note_id}"
    editor = logged_in.get(f"{base}/edit", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert editor.startswith(f'<li id="note-{note_id}"') and ">Edit note</label>" in editor and "Original" in editor
    assert f'name="note{note_id}-body"' in editor
    saved = logged_in.post(base, data={f"note{note_id}-body": "Changed"}, headers={"HX-Request": "true"})
    assert notes_in(saved.get_data(as_text=True)) == ["Changed"]
    view = logged_in.get(base, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert notes_in(view) == ["Changed"] and "<html" not in view


def test_edit_note_without_javascript(logged_in, customer_id, note_id):
    base = f"/customers/{customer_id}/notes/{note_id}"
    response = logged_in.get(f"{base}/edit")
    assert response.status_code == 302 and f"edit_note={note_id}" in response.headers["Location"]
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert ">Edit note</label>" in page and ">Save note</button>" in page
    bad = logged_in.post(base, data={f"note{note_id}-body": ""})
    assert bad.status_code == 422 and "Write the note first" in bad.get_data(as_text=True)
    good = logged_in.post(base, data={f"note{note_id}-body": "Better"})
    assert good.status_code == 302
    assert notes_in(logged_in.get(good.headers["Location"]).get_data(as_text=True)) == ["Better"]
    assert logged_in.get(base).status_code == 302  # the view fragment is for htmx; a browser goes to the profile


def test_failed_htmx_edit_keeps_the_typed_text(logged_in, customer_id, note_id):
    html = logged_in.post(f"/customers/{customer_id}/notes/{note_id}", data={f"note{note_id}-body": "y" * 5001},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Keep a note under 5,000 characters" in html and "y" * 5001 in html


def test_delete_note(logged_in, customer_id, note_id, app):
    logged_in.post(f"/customers/{customer_id}/notes", data={"body": "Keep me"})
    response = logged_in.post(f"/customers/{customer_id}/notes/{note_id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    with app.app_context():
        keep = db.session.scalar(db.select(Note.id))
    last = logged_in.post(f"/customers/{customer_id}/notes/{keep}/delete", headers={"HX-Request": "true"})
    assert last.headers["HX-Retarget"] == "#notes" and "No notes yet." in last.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Note)) == 0


def test_delete_note_without_javascript(logged_in, customer_id, note_id):
    response = logged_in.post(f"/customers/{customer_id}/notes/{note_id}/delete")
    assert response.status_code == 302
    assert "Note deleted." in logged_in.get(response.headers["Location"]).get_data(as_text=True)


def test_notes_of_another_customer_are_out_of_reach(logged_in, note_id, app):
    with app.app_context():
        other = make_customer("Otto", "Other").id
        db.session.commit()
    for method, path in (("GET", ""), ("GET", "/edit"), ("POST", ""), ("POST", "/delete")):
        response = logged_in.open(f"/customers/{other}/notes/{note_id}{path}", method=method,
                                  data={f"note{note_id}-body": "hijack"})
        assert response.status_code == 404, (method, path)
    assert logged_in.post("/customers/999999/notes", data={"body": "x"}).status_code == 404


def test_deleting_a_customer_deletes_their_notes(logged_in, customer_id, note_id, app):
    from crm.models import Customer

    with app.app_context():
        db.session.delete(db.session.get(Customer, customer_id))
        db.session.commit()
        assert db.session.get(Note, note_id) is None
