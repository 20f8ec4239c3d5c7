"""Private notes on a customer: written by someone in the dashboard (or brought by an import), shown newest
first, each change in the trail (action "note": the text old → new, under the person who wrote, edited or
deleted it)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from ..extensions import db
from ..models import AuditEvent, Customer, Note, User, utcnow
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


@dataclass(frozen=True)
class Author:
    """Who adds notes in bulk, as the note and the trail name them, when, and where the notes came from."""

    user_id: int | None
    actor: str
    at: datetime
    where: str  # “customers.csv” (import #7)


def add_imported_notes(notes: list[tuple[int, str, str]], author: Author) -> None:
    """Add notes an import brings, (customer id, the customer's name, text) each, dated by the import, with a
    "note" event in the trail for each: one statement per table, as the import writes its customers."""
    if not notes:
        return
    db.session.execute(insert(Note.__table__), [
        {"customer_id": cid, "author_id": author.user_id, "body": body.strip(), "created_at": author.at,
         "updated_at": author.at} for cid, _name, body in notes])
    db.session.execute(insert(AuditEvent.__table__), [
        {"occurred_at": author.at, "user_id": author.user_id, "actor": author.actor, "action": "note",
         "customer_id": cid, "subject": name[:201], "field": None, "old_value": None, "new_value": body.strip(),
         "detail": f"Private note added from {author.where}"} for cid, name, body in notes])
