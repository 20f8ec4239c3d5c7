"""The customer list: segment tabs with counts, search, the filter panel and its place picker, sorting and pages."""

from flask import current_app, request, url_for

from ...services import filters, tags
from ...services.customers import SORT_LABELS, SORTS, ListQuery, Location, customer_page, tab_labels
from ...services.permissions import needs
from ...services.shop import get_settings
from ...templating import country_name
from ...web import render
from .base import bp


def place_options(country: str, state: str) -> dict:
    """The place picker's choices: every country (by name), the chosen country's states, the chosen state's cities."""
    countries = sorted(filters.place_choices("country"), key=lambda row: country_name(row[0]).casefold())
    return {"countries": countries,
            "states": filters.place_choices("state", country) if country else [],
            "cities": filters.place_choices("city", country, state) if country and state else []}


@bp.get("")
@needs("view")
def index():
    """The customer list: segment tabs with counts, search, filters, sorting and pages (htmx swaps the results)."""
    shop = get_settings()
    query = ListQuery.from_args(request.args, shop.currency)
    page = customer_page(query, shop.country, current_app.config["PER_PAGE"])
    tags.load_on(page.customers)  # the rows' tag chips, in one query
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=tab_labels(), sorts=SORTS,
                      sort_labels=SORT_LABELS, chips=filters.chips(query.filters, shop.currency, shop.country),
                      shop_tags=filters.shop_tags(), sources=filters.SOURCE_LABELS,
                      places=place_options(query.location.country, query.location.state))
    if request.htmx:
        # the cleaned query, so the address bar shows one spelling of each list (no empty q=, no junk)
        response.headers["HX-Push-Url"] = url_for("customers.index", **query.args())
    return response


@bp.get("/places")
@needs("view")
def places():
    """The place picker's state and city fields for a chosen country (and state), with customers in each."""
    location = Location.from_args(request.args)
    return render("customers/partials/_place_fields.html", "customers/partials/_place_fields.html",
                  location=location, places=place_options(location.country, location.state))
