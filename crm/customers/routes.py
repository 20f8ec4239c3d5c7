"""Customer list and profile views."""

import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Customer, Note, Order
from ..services import notes as notes_service
from ..services.customers import SORTS, TABS, ListQuery, customer_page
from ..services.shop import get_settings
from ..web import render
from .forms import EditNoteForm, NoteForm

bp = Blueprint("customers", __name__, url_prefix="/customers")
ORDERS_PER_PAGE = 20


@bp.get("")
def index():
    """The customer list: segment tabs with counts, search, sorting and pages (htmx swaps the results)."""
    query = ListQuery.from_args(request.args)
    page = customer_page(query, get_settings().country, current_app.config["PER_PAGE"])
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=TABS, sorts=SORTS)
    if request.htmx:
        # the cleaned query, so the address bar shows one spelling of each list (no empty q=, no junk)
        response.headers["HX-Push-Url"] = url_for("customers.index", **query.args())
    return response


def _customer(customer_id: int) -> Customer:
    return db.session.get(Customer, customer_id) or abort(404)


def _note(customer: Customer, note_id: int) -> Note:
    note = db.session.get(Note, note_id)
    if note is None or note.customer_id != customer.id:
        abort(404)
    return note


@bp.get("/<int:customer_id>")
def detail(customer_id: int, note_form: NoteForm | None = None, edit_form: EditNoteForm | None = None,
           editing: int | None = None, status: int = 200):
    """A customer's profile: contact, location, membership, order history and notes."""
    customer = _customer(customer_id)
    try:
        orders_page = max(1, int(request.args.get("orders_page", 1)))
    except ValueError:
        orders_page = 1
    order_total = db.session.scalar(select(func.count()).where(Order.customer_id == customer.id))
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == customer.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(ORDERS_PER_PAGE).offset((orders_page - 1) * ORDERS_PER_PAGE)
    ).all()
    if edit_form is None and (editing := request.args.get("edit_note", type=int)) is not None:
        note = db.session.get(Note, editing)
        edit_form = _edit_form(note) if note is not None and note.customer_id == customer.id else None
    response = render("customers/detail.html", "customers/partials/_orders.html",
                      customer=customer, orders=orders, orders_page=orders_page,
                      orders_pages=max(1, math.ceil(order_total / ORDERS_PER_PAGE)), order_total=order_total,
                      note_form=note_form or NoteForm(formdata=None), editing=editing, edit_form=edit_form)
    response.status_code = status
    return response


def _edit_form(note: Note, formdata=None) -> EditNoteForm:
    """The editor of one note, filled with its text unless a submitted form is given."""
    if formdata is None:
        return EditNoteForm(formdata=None, prefix=f"note{note.id}", body=note.body)
    return EditNoteForm(prefix=f"note{note.id}")


def _notes_partial(customer: Customer, form: NoteForm):
    return render_template("customers/partials/_notes.html", customer=customer, note_form=form, editing=None)


@bp.post("/<int:customer_id>/notes")
def add_note(customer_id: int):
    """Add a private note; htmx gets the notes section back, a plain form post goes back to the profile."""
    customer = _customer(customer_id)
    form = NoteForm()
    if form.validate_on_submit():
        notes_service.add_note(customer, current_user, form.body.data)
        db.session.commit()
        if request.htmx:
            return _notes_partial(customer, NoteForm(formdata=None))
        flash("Note added.", "success")
        return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="notes"))
    if request.htmx:  # htmx swaps only 2xx answers: the form comes back with its message and the text typed
        return _notes_partial(customer, form)
    return detail(customer.id, note_form=form, status=422)


@bp.get("/<int:customer_id>/notes/<int:note_id>")
def note(customer_id: int, note_id: int):
    """One note as shown in the list (htmx "Cancel" while editing)."""
    customer = _customer(customer_id)
    note = _note(customer, note_id)
    if not request.htmx:
        return redirect(url_for("customers.detail", customer_id=customer.id, _anchor=f"note-{note.id}"))
    return render_template("customers/partials/_note.html", customer=customer, note=note, editing=None)


@bp.get("/<int:customer_id>/notes/<int:note_id>/edit")
def edit_note(customer_id: int, note_id: int):
    """A note in edit mode: inline for htmx, else the profile with that note open."""
    customer = _customer(customer_id)
    note = _note(customer, note_id)
    if not request.htmx:
        return redirect(url_for("customers.detail", customer_id=customer.id, edit_note=note.id,
                                _anchor=f"note-{note.id}"))
    return render_template("customers/partials/_note.html", customer=customer, note=note, editing=note.id,
                           edit_form=_edit_form(note))


@bp.post("/<int:customer_id>/notes/<int:note_id>")
def save_note(customer_id: int, note_id: int):
    """Save an edited note."""
    customer = _customer(customer_id)
    note = _note(customer, note_id)
    form = _edit_form(note, request.form)
    if form.validate_on_submit():
        notes_service.edit_note(note, form.body.data)
        db.session.commit()
        if request.htmx:
            return render_template("customers/partials/_note.html", customer=customer, note=note, editing=None)
        flash("Note saved.", "success")
        return redirect(url_for("customers.detail", customer_id=customer.id, _anchor=f"note-{note.id}"))
    if request.htmx:
        return render_template("customers/partials/_note.html", customer=customer, note=note, editing=note.id,
                               edit_form=form)
    return detail(customer.id, edit_form=form, editing=note.id, status=422)


@bp.post("/<int:customer_id>/notes/<int:note_id>/delete")
def delete_note(customer_id: int, note_id: int):
    """Delete a note; htmx removes it from the list."""
    customer = _customer(customer_id)
    notes_service.delete_note(_note(customer, note_id))
    db.session.commit()
    if request.htmx:
        if customer.notes:
            return ""
        # the last note went: show the section's empty state instead of an empty list
        response = make_response(_notes_partial(customer, NoteForm(formdata=None)))
        response.headers["HX-Retarget"] = "#notes"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash("Note deleted.", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="notes"))
