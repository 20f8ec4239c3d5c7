"""Private notes on a customer: written by someone in the dashboard, shown newest first."""

from ..extensions import db
from ..models import Customer, Note, User, utcnow

MAX_NOTE = 5000


def add_note(customer: Customer, author: User | None, body: str) -> Note:
    """Add a note (already validated) to the customer."""
    now = utcnow()  # one instant for both, so "edited" shows only after a real edit
    note = Note(customer=customer, author=author, body=body.strip(), created_at=now, updated_at=now)
    db.session.add(note)
    db.session.flush()
    return note


def edit_note(note: Note, body: str) -> Note:
    """Replace a note's text."""
    note.body = body.strip()
    return note


def delete_note(note: Note) -> None:
    """Remove a note for good."""
    db.session.delete(note)
