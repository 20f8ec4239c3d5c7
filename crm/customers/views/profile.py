"""A customer's profile: contact, location, membership, order history, notes and changes."""

import math

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...extensions import db
from ...models import Note, Order
from ...services import audit, tags
from ...services.permissions import needs
from ...services.shop import get_settings, today
from ...urlargs import optional_id, page_number
from ...web import render
from .. import fields
from ..forms import EditNoteForm, NoteForm
from .base import bp, customer_or_404

ORDERS_PER_PAGE = 20
CHANGES_SHOWN = 100
# How the profile says where a customer came from (Customer.source).
SOURCE_LABELS = {"order": _l("Came through an order"), "follow": _l("Followed the shop"),
                 "manual": _l("Added by hand"), "import": _l("Imported")}


@bp.get("/<int:customer_id>")
@needs("view")
def detail(customer_id: int, note_form: NoteForm | None = None, edit_form: EditNoteForm | None = None,
           editing: int | None = None, status: int = 200, tag_error: str | None = None, tag_typed: str = ""):
    """A customer's profile: contact, location, membership, order history and notes."""
    customer = customer_or_404(customer_id)
    orders_page = page_number(request.args, "orders_page")
    order_total = db.session.scalar(select(func.count()).where(Order.customer_id == customer.id))
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == customer.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(ORDERS_PER_PAGE).offset((orders_page - 1) * ORDERS_PER_PAGE)
    ).all()
    if edit_form is None and (editing := optional_id(request.args, "edit_note")) is not None:
        note = db.session.get(Note, editing)
        edit_form = note_editor(note) if note is not None and note.customer_id == customer.id else None
    changes = db.session.scalars(audit.for_customer(customer.id).limit(CHANGES_SHOWN + 1)).all()
    response = render("customers/detail.html", "customers/partials/_orders.html",
                      changes=changes[:CHANGES_SHOWN], more_changes=len(changes) > CHANGES_SHOWN,
                      action_labels=audit.ACTION_LABELS, source_labels=SOURCE_LABELS, consents=fields.CONSENTS,
                      today=today(get_settings()),
                      customer=customer, orders=orders, orders_page=orders_page,
                      orders_pages=max(1, math.ceil(order_total / ORDERS_PER_PAGE)), order_total=order_total,
                      note_form=note_form or NoteForm(formdata=None), editing=editing, edit_form=edit_form,
                      tag_error=tag_error, tag_typed=tag_typed, tag_suggestions=tags.suggestions())
    response.status_code = status
    return response


def note_editor(note: Note, formdata=None) -> EditNoteForm:
    """The editor of one note, filled with its text unless a submitted form is given (the profile opens one
    for ?edit_note=, the notes views for htmx)."""
    if formdata is None:
        return EditNoteForm(formdata=None, prefix=f"note{note.id}", body=note.body)
    return EditNoteForm(prefix=f"note{note.id}")
