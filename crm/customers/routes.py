"""Customer list and profile views."""

import math

from flask import Blueprint, abort, current_app, request, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import Customer, Order
from ..services.customers import SORTS, TABS, ListQuery, customer_page
from ..services.shop import get_settings
from ..web import render

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


@bp.get("/<int:customer_id>")
def detail(customer_id: int):
    """A customer's profile: contact, location, membership, order history and notes."""
    customer = db.session.get(Customer, customer_id) or abort(404)
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
    return render("customers/detail.html", "customers/partials/_orders.html",
                  customer=customer, orders=orders, orders_page=orders_page,
                  orders_pages=max(1, math.ceil(order_total / ORDERS_PER_PAGE)), order_total=order_total)
