"""Private notes on a customer: written by someone in the dashboard, shown newest first, each change in the
trail (action "note": the text old → new, under the person who wrote, edited or deleted it)."""

from ..extensions import db
from ..models import Customer, Note, User, utcnow
from . import audit

MAX_NOTE = 5000
FIELD = "Note"


def add_note(customer: Customer, author: User | None, body: str) -> Note:
    """Add a note (already validated) to the customer."""
    now = utcnow()  # one instant for both, so "edited" shows only after a real edit
    note = Note(customer=customer, author=author, body=body.strip(), created_at=now, updated_at=now)
    db.session.add(note)
    db.session.flush()
    audit.record(author, "note", customer, field=FIELD, new=note.body, detail="added")
    return note


def edit_note(note: Note, body: str, by: User | None = None) -> Note:
    """Replace a note's text."""
    body = body.strip()
    if body != note.body:
        audit.record(by, "note", note.customer, field=FIELD, old=note.body, new=body)
    note.body = body
    return note


def delete_note(note: Note, by: User | None = None) -> None:
    """Remove a note for good."""
    audit.record(by, "note", note.customer, field=FIELD, old=note.body, detail="deleted")
    db.session.delete(note)
