"""The customer list: segment tabs with counts, saved views, search, location, sorting and pages."""

from flask import current_app, request, url_for

from ...services import saved_views
from ...services.customers import SORT_LABELS, SORTS, customer_page, segment_counts, tab_labels
from ...services.permissions import needs
from ...services.shop import get_settings
from ...web import render
from .base import bp


def _address(opened: saved_views.Opened) -> str:
    """The list's URL as the address bar shows it: `view=<id>` on a view's tab (so it follows the view when
    the view changes), else the cleaned arguments (one spelling of each list: no empty q=, no junk)."""
    if opened.view is not None:
        page = {"page": opened.query.page} if opened.query.page != 1 else {}
        return url_for("customers.index", view=opened.view.id, **page)
    return url_for("customers.index", **opened.query.args())


@bp.get("")
@needs("view")
def index():
    """The customer list: segment tabs and saved views with counts, search, sorting and pages (htmx swaps
    the results)."""
    shop = get_settings()
    views = saved_views.all_views()
    opened = saved_views.open_list(request.args, views, shop)
    query = opened.query
    page = customer_page(query, shop.country, current_app.config["PER_PAGE"])
    response = render("customers/index.html", "customers/partials/_results.html",
                      page=page, query=query, tabs=tab_labels(), sorts=SORTS, sort_labels=SORT_LABELS,
                      views=views, view_counts=saved_views.counts(views, shop), current_view=opened.view,
                      view_note=opened.note, can_save_view=opened.view is None and not saved_views.bare_tab(query),
                      # on a view's tab the segment tabs lead out of it, to the whole segments
                      shop_counts=segment_counts(None) if opened.view is not None else None)
    if request.htmx:
        response.headers["HX-Push-Url"] = _address(opened)
    return response
