"""The customer list: segment tabs with counts, saved views, search, the filter panel and its place picker,
sorting and pages."""

from flask import current_app, request, url_for
from flask_login import current_user

from ...services import filters, list_columns, saved_views, tags
from ...services.customers import (
    SORT_LABELS,
    SORTS,
    Location,
    customer_page,
    segment_counts,
    tab_labels,
)
from ...services.permissions import needs
from ...services.phones import matched_whatsapp
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


def _address(opened: saved_views.Opened) -> str:
    """The list's URL as the address bar shows it: `view=<id>` on a view's tab (so it follows the view when
    the view changes), else the cleaned arguments (one spelling of each list: no empty q=, no junk)."""
    if opened.view is not None:
        page = {"page": opened.query.page} if opened.query.page != 1 else {}
        return url_for("customers.index", view=opened.view.id, **page)
    return url_for("customers.index", **opened.query.args())


def _views(opened: saved_views.Opened, views: list, shop) -> dict:
    """What the saved view tabs show: each view's count, the current one, the buttons that apply."""
    return {"views": views, "view_counts": saved_views.counts(views, shop), "current_view": opened.view,
            "view_note": opened.note,
            "can_save_view": opened.view is None and not saved_views.bare_tab(opened.query),
            # on a view's tab the segment tabs lead out of it, to the whole segments
            "shop_counts": segment_counts(None) if opened.view is not None else None}


@bp.get("")
@needs("view")
def index():
    """The customer list: segment tabs and saved views with counts, search, filters, sorting and pages (htmx
    swaps the results)."""
    shop = get_settings()
    views = saved_views.all_views()
    opened = saved_views.open_list(request.args, views, shop)
    query = opened.query
    page = customer_page(query, shop.country, current_app.config["PER_PAGE"])
    tags.load_on(page.customers)  # the rows' tag chips, in one query
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=tab_labels(), sorts=SORTS,
                      sort_labels=SORT_LABELS, chips=filters.chips(query.filters, shop.currency, shop.country),
                      shop_tags=filters.shop_tags(), sources=filters.SOURCE_LABELS,
                      places=place_options(query.location.country, query.location.state),
                      columns=list_columns.shown(current_user, query.sort), column_choices=list_columns.COLUMNS,
                      chosen_columns=list_columns.shown(current_user),
                      whatsapp_matches=matched_whatsapp(page.customers, query.q, shop.country),
                      **_views(opened, views, shop))
    if request.htmx:
        response.headers["HX-Push-Url"] = _address(opened)
    return response


@bp.get("/places")
@needs("view")
def places():
    """The place picker's state and city fields for a chosen country (and state), with customers in each."""
    location = Location.from_args(request.args)
    return render("customers/partials/_place_fields.html", "customers/partials/_place_fields.html",
                  location=location, places=place_options(location.country, location.state))
