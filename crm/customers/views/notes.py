"""A customer's private notes: add, show, edit, save and delete (inline with htmx, or as plain form posts)."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import Customer, Note
from ...services import notes as notes_service
from ...services.permissions import needs
from ..forms import NoteForm
from .base import bp, changeable_customer_or_404, customer_or_404
from .profile import detail, note_editor


def _note(customer: Customer, note_id: int) -> Note:
    """The customer's note the URL names, or 404 (a note of another customer is not found here)."""
    note = db.session.get(Note, note_id)
    if note is None or note.customer_id != customer.id:
        abort(404)
    return note


def _customer_note(customer_id: int, note_id: int) -> tuple[Customer, Note]:
    """The customer and their note that the URL names, or 404."""
    customer = customer_or_404(customer_id)
    return customer, _note(customer, note_id)


def _to_note(note: Note, **args):
    """Back to the note on its customer's profile (a plain request for what htmx shows inline)."""
    return redirect(url_for("customers.detail", customer_id=note.customer_id, _anchor=f"note-{note.id}", **args))


def _notes_partial(customer: Customer, form: NoteForm):
    """The profile's notes section with its add form."""
    return render_template("customers/partials/_notes.html", customer=customer, note_form=form, editing=None)


def _note_partial(customer: Customer, note: Note, edit_form=None):
    """One note of the list, shown, or open in its editor when `edit_form` is given."""
    return render_template("customers/partials/_note.html", customer=customer, note=note,
                           editing=note.id if edit_form is not None else None, edit_form=edit_form)


@bp.post("/<int:customer_id>/notes")
@needs("edit")
def add_note(customer_id: int):
    """Add a private note; htmx gets the notes section back, a plain form post goes back to the profile."""
    customer = changeable_customer_or_404(customer_id, _("This customer was anonymized: notes can't be added."))
    form = NoteForm()
    if form.validate_on_submit():
        notes_service.add_note(customer, current_user, form.body.data)
        db.session.commit()
        if request.htmx:
            return _notes_partial(customer, NoteForm(formdata=None))
        flash(_("Note added."), "success")
        return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="notes"))
    if request.htmx:  # htmx swaps only 2xx answers: the form comes back with its message and the text typed
        return _notes_partial(customer, form)
    return detail(customer.id, note_form=form, status=422)


@bp.get("/<int:customer_id>/notes/<int:note_id>")
@needs("view")
def note(customer_id: int, note_id: int):
    """One note as shown in the list (htmx "Cancel" while editing); a plain request goes to it on the profile."""
    customer, note = _customer_note(customer_id, note_id)
    return _note_partial(customer, note) if request.htmx else _to_note(note)


@bp.get("/<int:customer_id>/notes/<int:note_id>/edit")
@needs("edit")
def edit_note(customer_id: int, note_id: int):
    """A note in edit mode: inline for htmx, else the profile with that note open."""
    customer, note = _customer_note(customer_id, note_id)
    return _note_partial(customer, note, note_editor(note)) if request.htmx else _to_note(note, edit_note=note.id)


@bp.post("/<int:customer_id>/notes/<int:note_id>")
@needs("edit")
def save_note(customer_id: int, note_id: int):
    """Save an edited note."""
    customer, note = _customer_note(customer_id, note_id)
    form = note_editor(note, request.form)
    if form.validate_on_submit():
        notes_service.edit_note(note, form.body.data, by=current_user)
        db.session.commit()
        if request.htmx:
            return _note_partial(customer, note)
        flash(_("Note saved."), "success")
        return _to_note(note)
    if request.htmx:
        return _note_partial(customer, note, form)
    return detail(customer.id, edit_form=form, editing=note.id, status=422)


@bp.post("/<int:customer_id>/notes/<int:note_id>/delete")
@needs("edit")
def delete_note(customer_id: int, note_id: int):
    """Delete a note; htmx removes it from the list."""
    customer = customer_or_404(customer_id)
    notes_service.delete_note(_note(customer, note_id), by=current_user)
    db.session.commit()
    if request.htmx:
        if customer.notes:
            return ""
        # the last note went: show the section's empty state instead of an empty list
        response = make_response(_notes_partial(customer, NoteForm(formdata=None)))
        response.headers["HX-Retarget"] = "#notes"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(_("Note deleted."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="notes"))
