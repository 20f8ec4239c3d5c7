"""What every Customers view shares: the blueprint, the customer from the URL, the signed-in user."""

from flask import Blueprint, abort, make_response, render_template
from flask_login import current_user

from ...extensions import db
from ...models import Customer

bp = Blueprint("customers", __name__, url_prefix="/customers")


def customer_or_404(customer_id: int) -> Customer:
    """The customer the URL names, or 404."""
    return db.session.get(Customer, customer_id) or abort(404)


def changeable_customer_or_404(customer_id: int, refusal: str) -> Customer:
    """The customer the URL names (404 if none), refused with 409 and `refusal` once anonymized: an
    anonymized customer keeps only their orders, so there is nothing left to edit or annotate."""
    customer = customer_or_404(customer_id)
    if customer.anonymized_at is not None:
        abort(409, refusal)
    return customer


def acting_user():
    """The signed-in user as a model object (the audit trail keeps a reference)."""
    return current_user._get_current_object()


def page(template: str, status: int = 200, **context):
    """A rendered template with its status (422 for a form to correct, 409 for a refusal)."""
    response = make_response(render_template(template, **context))
    response.status_code = status
    return response
