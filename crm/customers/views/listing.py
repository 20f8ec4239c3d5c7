"""The customer list: segment tabs with counts, search, location, sorting and pages."""

from flask import current_app, request, url_for

from ...services import tags
from ...services.customers import SORT_LABELS, SORTS, ListQuery, customer_page, tab_labels
from ...services.permissions import needs
from ...services.shop import get_settings
from ...web import render
from .base import bp


@bp.get("")
@needs("view")
def index():
    """The customer list: segment tabs with counts, search, sorting and pages (htmx swaps the results)."""
    query = ListQuery.from_args(request.args)
    page = customer_page(query, get_settings().country, current_app.config["PER_PAGE"])
    tags.load_on(page.customers)  # the rows' tag chips, in one query
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=tab_labels(), sorts=SORTS,
                      sort_labels=SORT_LABELS)
    if request.htmx:
        # the cleaned query, so the address bar shows one spelling of each list (no empty q=, no junk)
        response.headers["HX-Push-Url"] = url_for("customers.index", **query.args())
    return response
