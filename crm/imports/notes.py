"""A file's note column (Shopify's "Note", a "Notes" or "Comments" column): each filled cell becomes a private
note on its customer, dated by the import and written by whoever ran it, through the notes service so the
trail has it. A customer who already has a note with the same text gets no second one, so importing a file
again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..extensions import db
from ..models import Note
from ..services import text
from ..services.notes import MAX_NOTE
from .batches import chunks
from .rules import FIELDS, NOTE, Invalid

if TYPE_CHECKING:
    from .changes import _Diff
    from .matching import StoredCustomer


def read_note(raw: str) -> str:
    """A note cell as a note's text (line breaks kept, as "\\n"); Invalid saying what is wrong."""
    body = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(body) > MAX_NOTE:
        raise Invalid(f"Keep a note under {MAX_NOTE:,} characters")
    if text.has_control_characters(body, multiline=True):
        raise Invalid(text.CONTROL_CHARACTERS_MESSAGE)
    return body


def note_change(diff: _Diff) -> str | None:
    """The row's note when it is new for its customer (the note's label joins the row's changes)."""
    body = diff.read(NOTE, read_note)
    if body is None or (diff.current is not None and body in diff.current.notes):
        return None
    diff.labels.append(FIELDS[NOTE])
    return body


def with_notes(stored: dict[int, StoredCustomer]) -> dict[int, StoredCustomer]:
    """The stored customers with the texts of their notes (for a file with a note column)."""
    held: dict[int, set[str]] = defaultdict(set)
    for part in chunks(list(stored)):
        for customer_id, body in db.session.execute(select(Note.customer_id, Note.body)
                                                    .where(Note.customer_id.in_(part))):
            held[customer_id].add(body)
    return {cid: replace(customer, notes=frozenset(held[cid])) for cid, customer in stored.items()}
