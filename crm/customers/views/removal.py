"""Removing a customer: deleting one without orders (to Recently deleted), or anonymizing one on request."""

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import Customer, DeletedCustomer
from ...services import erasure
from ...services.permissions import needs
from .base import acting_user, bp, customer_or_404, page


def _removal_page(customer: Customer, action: str, status: int = 200, error: str | None = None):
    """The confirmation page behind the profile's dialogs (what a browser without JavaScript shows)."""
    return page("customers/confirm_removal.html", status, customer=customer, action=action, error=error,
                has_orders=erasure.order_count(customer) > 0, typed=request.form.get("confirm_name", ""),
                unconfirmed=status == 422)


def _remove(customer_id: int, action: str, remove: Callable[[Customer], object], done: Callable[[object], object]):
    """The confirmation page on GET (and HEAD, which must never write either); on POST `remove` the customer,
    commit and answer with `done(what remove returned)`, or show the page again saying why not (409, or 422
    for a name typed wrong)."""
    customer = customer_or_404(customer_id)
    if request.method != "POST":
        return _removal_page(customer, action)
    try:
        outcome = remove(customer)
    except erasure.CannotRemove as exc:
        db.session.rollback()
        status = 422 if isinstance(exc, erasure.NotConfirmed) else 409
        return _removal_page(customer_or_404(customer_id), action, status=status, error=str(exc))
    db.session.commit()
    return done(outcome)


@bp.route("/<int:customer_id>/delete", methods=["GET", "POST"])
@needs("delete")
def delete(customer_id: int):
    """Move a customer who has no orders to Recently deleted (with their address, membership and notes); 409 if
    they have any. The message on the list offers to undo it."""
    def deleted(entry: DeletedCustomer):
        # The flash's category names the entry: _flashes.html puts an "Undo" button beside the message.
        flash(_("Deleted %(name)s. They are in Recently deleted for 30 days.", name=entry.name), f"undo:{entry.id}")
        return redirect(url_for("customers.index"))

    return _remove(customer_id, "delete", lambda customer: erasure.delete_customer(customer, acting_user()),
                   deleted)


@bp.route("/<int:customer_id>/anonymize", methods=["GET", "POST"])
@needs("delete")
def anonymize(customer_id: int):
    """Erase a customer's personal data on request, once their full name is typed to confirm; their orders and
    totals stay for the shop's accounts."""
    def remove(customer: Customer) -> None:
        erasure.check_anonymizable(customer)
        erasure.confirm_name(customer, request.form.get("confirm_name"))
        erasure.anonymize_customer(customer, acting_user())

    def anonymized(_outcome):
        flash(_("Customer anonymized: their personal data is gone, their orders stay"), "success")
        return redirect(url_for("customers.detail", customer_id=customer_id))

    return _remove(customer_id, "anonymize", remove, anonymized)
