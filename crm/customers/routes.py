"""Customer list and profile views."""

import math
import secrets
from datetime import datetime, time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Customer, Note, Order
from ..services import audit, erasure, exports, intake, memberships, phones, profiles
from ..services import notes as notes_service
from ..services import orders as orders_service
from ..services.customers import SORTS, ListQuery, customer_page, tabs
from ..services.money import format_money
from ..services.passwords import generate_password
from ..services.shop import get_settings, zone
from ..urlargs import optional_id, page_number
from ..web import render
from .forms import DUPLICATE_EMAIL, CustomerForm, EditNoteForm, NoteForm, OrderForm, customer_form

bp = Blueprint("customers", __name__, url_prefix="/customers")
ORDERS_PER_PAGE = 20
CHANGES_SHOWN = 100


@bp.get("")
def index():
    """The customer list: segment tabs with counts, search, sorting and pages (htmx swaps the results)."""
    query = ListQuery.from_args(request.args)
    page = customer_page(query, get_settings().country, current_app.config["PER_PAGE"])
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=tabs(), sorts=SORTS)
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
    orders_page = page_number(request.args, "orders_page")
    order_total = db.session.scalar(select(func.count()).where(Order.customer_id == customer.id))
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == customer.id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(ORDERS_PER_PAGE).offset((orders_page - 1) * ORDERS_PER_PAGE)
    ).all()
    if edit_form is None and (editing := optional_id(request.args, "edit_note")) is not None:
        note = db.session.get(Note, editing)
        edit_form = _edit_form(note) if note is not None and note.customer_id == customer.id else None
    changes = db.session.scalars(audit.for_customer(customer.id).limit(CHANGES_SHOWN + 1)).all()
    response = render("customers/detail.html", "customers/partials/_orders.html",
                      changes=changes[:CHANGES_SHOWN], more_changes=len(changes) > CHANGES_SHOWN,
                      action_labels=audit.ACTION_LABELS,
                      today=datetime.now(zone(get_settings().timezone)).date(),
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
    if customer.anonymized_at is not None:
        abort(409, "This customer was anonymized: notes can't be added.")
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


def _actor():
    """The signed-in user as a model object (the audit trail keeps a reference)."""
    return current_user._get_current_object()


def _form_page(form: CustomerForm, customer: Customer | None, status: int = 200):
    response = make_response(render_template("customers/form.html", form=form, customer=customer,
                                             today=datetime.now(zone(get_settings().timezone)).date()))
    response.status_code = status
    return response


def _generate_without_js(form: CustomerForm) -> bool:
    """The generate buttons also work as plain submit buttons: fill the field, keep the rest, save nothing."""
    what = request.form.get("generate")
    if what == "password":
        form.password.data = generate_password()
        form.password.generated = True
    elif what == "membership_id" and "membership_id" in form:
        form.membership_id.data = memberships.generate_membership_id(get_settings().membership_prefix)
    else:
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
def new():
    """The "Add customer" form; saving lands on the new profile. A repeated submit finds the first one."""
    shop = get_settings()
    if request.method != "POST":  # GET, and HEAD, which must never write either
        form = customer_form(shop, formdata=None)
        form.submission_key.data = secrets.token_urlsafe(24)
        return _form_page(form, None)
    form = customer_form(shop)
    key = (form.submission_key.data or "")[:43] or None
    if key and (earlier := profiles.find_by_submission(key)) is not None:
        flash("Customer saved", "success")
        return redirect(url_for("customers.detail", customer_id=earlier.id))
    if _generate_without_js(form):
        return _form_page(form, None)
    if not form.validate_on_submit():
        return _form_page(form, None, status=422)
    try:
        customer = profiles.create_customer(form.to_input(shop.b2b_enabled, shop.membership_enabled), _actor(),
                                            submission_key=key)
        db.session.commit()
    except IntegrityError as error:
        # Lost a race: the same form submitted twice at once, or the email or membership ID taken meanwhile.
        db.session.rollback()
        if key and (earlier := profiles.find_by_submission(key)) is not None:
            flash("Customer saved", "success")
            return redirect(url_for("customers.detail", customer_id=earlier.id))
        return _taken_meanwhile(None, error)
    flash("Customer saved", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


def _taken_meanwhile(customer_id: int | None, error: IntegrityError):
    """After a unique index refused a save (rolled back): the form again with the messages its checks give now
    that the other customer's email or membership ID is there (422, nothing saved), as when it was there
    before. A refusal the checks can't explain is a bug, and `error` is raised again."""
    customer = _customer(customer_id) if customer_id is not None else None
    form = customer_form(get_settings(), customer)
    if form.validate():
        raise error
    return _form_page(form, customer, status=422)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
def edit(customer_id: int):
    """Edit a customer with the same form; each changed field is kept in the profile's history."""
    customer = _customer(customer_id)
    if customer.anonymized_at is not None:
        abort(409, "This customer was anonymized: there is nothing to edit.")
    shop = get_settings()
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _form_page(customer_form(shop, customer, formdata=None), customer)
    form = customer_form(shop, customer)
    if _generate_without_js(form):
        return _form_page(form, customer)
    if not form.validate_on_submit():
        return _form_page(form, customer, status=422)
    try:
        profiles.update_customer(customer, form.to_input(shop.b2b_enabled, shop.membership_enabled), _actor(),
                                 shop.country)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()  # the email or membership ID was taken by another save meanwhile
        return _taken_meanwhile(customer_id, error)
    flash("Customer saved", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.get("/generate/password")
def generate_password_field():
    """htmx: the password field filled with a new strong password, shown in clear with a copy button."""
    form = customer_form(get_settings(), formdata=None)
    form.password.data = generate_password()
    form.password.generated = True
    return render_template("customers/partials/_password_field.html", form=form, customer=None)


@bp.get("/generate/membership-id")
def generate_membership_id_field():
    """htmx: the membership ID field filled with a new unused ID."""
    shop = get_settings()
    if not shop.membership_enabled:
        abort(404)
    form = customer_form(shop, formdata=None)
    form.membership_id.data = memberships.generate_membership_id(shop.membership_prefix)
    return render_template("customers/partials/_membership_id_field.html", form=form)


CHECKED_FIELDS = ("email", "phone", "whatsapp", "membership_id", "expires_on")


@bp.get("/check/<field>")
def check(field: str):
    """htmx, as the owner types: a duplicate email, number or membership ID, an impossible number,
    or a past expiry date, said next to the field."""
    if field not in CHECKED_FIELDS:
        abort(404)
    shop = get_settings()
    exclude = optional_id(request.args, "customer")
    value = (request.args.get(field) or "").strip()
    message, other = None, None
    if field == "email" and value:
        other = profiles.find_by_email(value, exclude)
        message = DUPLICATE_EMAIL if other else None
    elif field in ("phone", "whatsapp") and value:
        try:
            e164 = phones.to_e164(value, shop.country)
        except phones.InvalidPhone as exc:
            message = str(exc)
        else:
            other = profiles.find_by_phone(e164, exclude)
            message = "Another customer has this number" if other else None
    elif field == "membership_id" and value:
        if memberships.in_use(value, exclude):
            message = "Another customer already has this membership ID"
    elif field == "expires_on" and value:
        try:
            expires = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            expires = None
        if expires and expires < datetime.now(zone(shop.timezone)).date():
            message = "This date has passed: the membership will show as expired"
    return render_template("customers/partials/_check.html", field=field, message=message, other=other)


@bp.route("/<int:customer_id>/orders/new", methods=["GET", "POST"])
def new_order(customer_id: int):
    """Record an order by hand (a phone or WhatsApp sale); the customer's figures and segment follow."""
    customer = _customer(customer_id)
    shop = get_settings()
    today = datetime.now(zone(shop.timezone)).date()
    if request.method != "POST":  # GET, and HEAD, which must never write either
        form = OrderForm(formdata=None, placed_on=today, status="paid")
        form.order_number.data = orders_service.new_manual_number()
    else:
        form = OrderForm()
    form.currency = shop.currency
    if request.method == "POST" and form.validate_on_submit():
        # The day as the owner means it in the shop's time zone; midday keeps it on that day in any zone.
        placed_at = datetime.combine(form.placed_on.data, time(12, 0), zone(shop.timezone))
        number = form.order_number.data or orders_service.new_manual_number()
        try:
            customer = intake.lock_for_figures(customer)
            # add_order flushes (the figures are counted from the orders), so the index can refuse it there
            order = orders_service.add_order(customer, number, placed_at, form.total.minor, form.status.data,
                                             note=form.note.data or None, channel="manual")
            amount = format_money(order.total, shop.currency, shop.country)
            audit.record(_actor(), "order", customer,
                         detail=f"Order {number} recorded by hand: {order.status}, {amount}")
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the number was taken meanwhile
            form.order_number.errors = ["Another order already has this number"]
        else:
            flash(f"Order {number} added", "success")
            return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="history"))
    status = 422 if request.method == "POST" else 200
    response = make_response(render_template("customers/order_form.html", form=form,
                                             customer=_customer(customer_id), today=today))
    response.status_code = status
    return response


def _removal_page(customer: Customer, action: str, status: int = 200, error: str | None = None):
    """The confirmation page behind the profile's dialogs (what a browser without JavaScript shows)."""
    response = make_response(render_template("customers/confirm_removal.html", customer=customer, action=action,
                                             error=error, has_orders=erasure.order_count(customer) > 0))
    response.status_code = status
    return response


@bp.route("/<int:customer_id>/delete", methods=["GET", "POST"])
def delete(customer_id: int):
    """Delete a customer who has no orders (with their address, membership and notes); 409 if they have any."""
    customer = _customer(customer_id)
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _removal_page(customer, "delete")
    try:
        name = erasure.delete_customer(customer, _actor())
    except erasure.CannotRemove as exc:
        db.session.rollback()
        return _removal_page(_customer(customer_id), "delete", status=409, error=str(exc))
    db.session.commit()
    flash(f"Deleted {name}", "success")
    return redirect(url_for("customers.index"))


@bp.route("/<int:customer_id>/anonymize", methods=["GET", "POST"])
def anonymize(customer_id: int):
    """Erase a customer's personal data on request; their orders and totals stay for the shop's accounts."""
    customer = _customer(customer_id)
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _removal_page(customer, "anonymize")
    try:
        erasure.anonymize_customer(customer, _actor())
    except erasure.CannotRemove as exc:
        db.session.rollback()
        return _removal_page(_customer(customer_id), "anonymize", status=409, error=str(exc))
    db.session.commit()
    flash("Customer anonymized: their personal data is gone, their orders stay", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.get("/export")
def export():
    """The list as it is filtered (tab, search, location) as a CSV download; the export goes in the trail."""
    query = ListQuery.from_args(request.args)
    which = exports.ExportFilter(segment=query.segment, q=query.q, location=query.location)
    shop = get_settings()
    total = exports.count(which, shop.country)
    described = which.segment_label + (f", search “{query.q}”" if query.q else "")
    audit.record(_actor(), "export", None,
                 detail=f"Customer export: {described}, {total:,} customer{'' if total == 1 else 's'}")
    db.session.commit()
    day = datetime.now(zone(shop.timezone)).date().isoformat()
    response = Response(stream_with_context(exports.rows(which, shop.country, shop.currency)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="customers-{query.segment}-{day}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
