"""The customer form: "Add customer", editing a customer, and the generated password and membership ID."""

import re
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Customer
from ...services import memberships, profiles
from ...services.passwords import generate_password
from ...services.permissions import needs
from ...services.shop import get_settings, today
from .. import writer
from ..forms import CustomerForm, customer_form
from ..writer import Actor, Consent
from .base import acting_user, bp, changeable_customer_or_404, customer_or_404, page

BY_HAND = Consent("dashboard")  # consent ticked or unticked in the form (the trail says by whom)
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{1,43}")  # what secrets.token_urlsafe makes, as long as the column


def _form_page(form: CustomerForm, customer: Customer | None, status: int = 200):
    """The form page, adding (no customer) or editing."""
    return page("customers/form.html", status, form=form, customer=customer, today=today(get_settings()))


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


def _saved(customer_id: int):
    """Back to the profile of the customer just saved."""
    flash(_("Customer saved"), "success")
    return redirect(url_for("customers.detail", customer_id=customer_id))


def _submission_key(form: CustomerForm) -> str | None:
    """The add form's one-time key as the GET page made it (URL-safe base64); anything else is no key."""
    key = form.submission_key.data or ""
    return key if SUBMISSION_KEY.fullmatch(key) else None


@bp.route("/new", methods=["GET", "POST"])
@needs("edit")
def new():
    """The "Add customer" form; saving lands on the new profile. A repeated submit finds the first one."""
    shop = get_settings()
    if request.method != "POST":  # GET, and HEAD, which must never write either
        form = customer_form(shop, formdata=None)
        form.submission_key.data = secrets.token_urlsafe(24)
        return _form_page(form, None)
    form = customer_form(shop)
    key = _submission_key(form)
    if key and (earlier := profiles.find_by_submission(key)) is not None:
        return _saved(earlier.id)
    if _generate_without_js(form):
        return _form_page(form, None)
    if not form.validate_on_submit():
        return _form_page(form, None, status=422)
    try:
        customer = writer.create(form.values(), source="manual", actor=Actor.person(acting_user()),
                                 detail="Added by hand", consent=BY_HAND, password=form.password.data or None,
                                 submission_key=key)
        db.session.commit()
    except IntegrityError as error:
        # Lost a race: the same form submitted twice at once, or the email or membership ID taken meanwhile.
        db.session.rollback()
        if key and (earlier := profiles.find_by_submission(key)) is not None:
            return _saved(earlier.id)
        return _taken_meanwhile(None, error)
    return _saved(customer.id)


def _taken_meanwhile(customer_id: int | None, error: IntegrityError):
    """After a unique index refused a save (rolled back): the form again with the messages its checks give now
    that the other customer's email or membership ID is there (422, nothing saved), as when it was there
    before. A refusal the checks can't explain is a bug, and `error` is raised again."""
    customer = customer_or_404(customer_id) if customer_id is not None else None
    form = customer_form(get_settings(), customer)
    if form.validate():
        raise error
    return _form_page(form, customer, status=422)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@needs("edit")
def edit(customer_id: int):
    """Edit a customer with the same form; each changed field is kept in the profile's history."""
    customer = changeable_customer_or_404(customer_id, _("This customer was anonymized: there is nothing to edit."))
    shop = get_settings()
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _form_page(customer_form(shop, customer, formdata=None), customer)
    form = customer_form(shop, customer)
    if _generate_without_js(form):
        return _form_page(form, customer)
    if not form.validate_on_submit():
        return _form_page(form, customer, status=422)
    try:
        writer.update(customer, form.values(), actor=Actor.person(acting_user()), consent=BY_HAND,
                      password=form.password.data or None)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()  # the email or membership ID was taken by another save meanwhile
        return _taken_meanwhile(customer_id, error)
    return _saved(customer.id)


@bp.get("/generate/password")
@needs("edit")
def generate_password_field():
    """htmx: the password field filled with a new strong password, shown in clear with a copy button."""
    form = customer_form(get_settings(), formdata=None)
    form.password.data = generate_password()
    form.password.generated = True
    return render_template("customers/partials/_password_field.html", form=form, customer=None)


@bp.get("/generate/membership-id")
@needs("edit")
def generate_membership_id_field():
    """htmx: the membership ID field filled with a new unused ID."""
    shop = get_settings()
    if not shop.membership_enabled:
        abort(404)
    form = customer_form(shop, formdata=None)
    form.membership_id.data = memberships.generate_membership_id(shop.membership_prefix)
    return render_template("customers/partials/_membership_id_field.html", form=form)
