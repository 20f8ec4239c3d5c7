"""Orders recorded by hand on a customer's profile (a phone or WhatsApp sale)."""

from datetime import datetime, time

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...services import audit, intake
from ...services import orders as orders_service
from ...services.money import format_money
from ...services.permissions import needs
from ...services.shop import get_settings, today, zone
from ..forms import OrderForm
from .base import acting_user, bp, customer_or_404, page


@bp.route("/<int:customer_id>/orders/new", methods=["GET", "POST"])
@needs("orders")
def new_order(customer_id: int):
    """Record an order by hand (a phone or WhatsApp sale); the customer's figures and segment follow."""
    customer = customer_or_404(customer_id)
    shop = get_settings()
    shop_today = today(shop)
    if request.method != "POST":  # GET, and HEAD, which must never write either
        form = OrderForm(formdata=None, placed_on=shop_today, status="paid")
        form.order_number.data = orders_service.new_manual_number()
    else:
        form = OrderForm()
    form.currency = shop.currency
    form.today = shop_today
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
            audit.record(acting_user(), "order", customer,
                         detail=f"Order {number} recorded by hand: {order.status}, {amount}")
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the number was taken meanwhile
            form.order_number.errors = [_("Another order already has this number")]
        else:
            flash(_("Order %(number)s added", number=number), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="history"))
    return page("customers/order_form.html", 422 if request.method == "POST" else 200, form=form,
                customer=customer_or_404(customer_id), today=shop_today)
