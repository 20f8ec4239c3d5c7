"""Forms of the Customers area."""

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..services.notes import MAX_NOTE


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NoteForm(FlaskForm):
    """One private note."""

    body = TextAreaField("Add a note", filters=[_strip], validators=[
        DataRequired("Write the note first"),
        Length(max=MAX_NOTE, message=f"Keep a note under {MAX_NOTE:,} characters"),
    ])


class EditNoteForm(NoteForm):
    """An existing note's text; built with prefix=f"note{id}" so each open editor has its own field ids."""

    body = TextAreaField("Edit note", filters=[_strip], validators=[
        DataRequired("Write the note first"),
        Length(max=MAX_NOTE, message=f"Keep a note under {MAX_NOTE:,} characters"),
    ])
