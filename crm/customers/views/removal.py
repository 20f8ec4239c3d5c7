"""Removing a customer: deleting one without orders, or anonymizing one on request."""

from flask import flash, redirect, request, url_for

from ...extensions import db
from ...models import Customer
from ...services import erasure
from .base import acting_user, bp, customer_or_404, page


def _removal_page(customer: Customer, action: str, status: int = 200, error: str | None = None):
    """The confirmation page behind the profile's dialogs (what a browser without JavaScript shows)."""
    return page("customers/confirm_removal.html", status, customer=customer, action=action, error=error,
                has_orders=erasure.order_count(customer) > 0)


@bp.route("/<int:customer_id>/delete", methods=["GET", "POST"])
def delete(customer_id: int):
    """Delete a customer who has no orders (with their address, membership and notes); 409 if they have any."""
    customer = customer_or_404(customer_id)
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _removal_page(customer, "delete")
    try:
        name = erasure.delete_customer(customer, acting_user())
    except erasure.CannotRemove as exc:
        db.session.rollback()
        return _removal_page(customer_or_404(customer_id), "delete", status=409, error=str(exc))
    db.session.commit()
    flash(f"Deleted {name}", "success")
    return redirect(url_for("customers.index"))


@bp.route("/<int:customer_id>/anonymize", methods=["GET", "POST"])
def anonymize(customer_id: int):
    """Erase a customer's personal data on request; their orders and totals stay for the shop's accounts."""
    customer = customer_or_404(customer_id)
    if request.method != "POST":  # GET, and HEAD, which must never write either
        return _removal_page(customer, "anonymize")
    try:
        erasure.anonymize_customer(customer, acting_user())
    except erasure.CannotRemove as exc:
        db.session.rollback()
        return _removal_page(customer_or_404(customer_id), "anonymize", status=409, error=str(exc))
    db.session.commit()
    flash("Customer anonymized: their personal data is gone, their orders stay", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))
