"""Insights views: the page (htmx swaps the period's figures or the top locations), and the marketing export."""

from flask import Blueprint, Response, request, stream_with_context, url_for
from flask_login import current_user

from ..extensions import db
from ..models import utcnow
from ..services import audit, exports, filters, insights
from ..services.customers import ListQuery
from ..services.permissions import needs
from ..services.shop import get_settings, today, zone
from ..web import render
from . import charts

bp = Blueprint("insights", __name__, url_prefix="/insights")
# The element an htmx request swaps decides which part of the page it gets.
PARTIALS = {"period-figures": "insights/partials/_period.html", "top-places": "insights/partials/_places.html"}


@bp.get("")
@needs("insights")
def index():
    """Insights: segments and VIPs, average lifetime value, new vs returning for a period, top locations."""
    period = insights.clean_period(request.args.get("period"))
    level = insights.clean_level(request.args.get("level"))
    settings = get_settings()
    shop_zone = zone(settings.timezone)
    now = utcnow()
    target = request.headers.get("HX-Target") if request.htmx else None
    partial = PARTIALS.get(target, PARTIALS["period-figures"])
    context = {"period": period, "level": level, "periods": insights.PERIODS, "levels": insights.LEVELS,
               "charts": charts}
    whole_page = not request.htmx or request.htmx.history_restore_request
    context["swapped_alone"] = not whole_page  # the other panel's links then come along, out of band
    if whole_page or partial == PARTIALS["period-figures"]:
        context["recent"] = insights.new_vs_returning(period, now, shop_zone)
    if whole_page or partial == PARTIALS["top-places"]:
        context["by_customers"] = insights.top_places(level, "customers")
        context["by_spend"] = insights.top_places(level, "spent")
    if whole_page:
        context["split"] = insights.segment_split()
        context["value"] = insights.lifetime_value()
        context["spenders"] = insights.top_customers()
        context["months"] = insights.by_month(now, shop_zone)  # reads the cache the worker fills
    response = render("insights/index.html", partial, **context)
    response.vary.add("HX-Target")
    if request.htmx:
        # the cleaned URL, so the address bar never keeps a value that was ignored
        response.headers["HX-Push-Url"] = url_for("insights.index", **page_args(period, level))
    return response


def page_args(period: str, level: str) -> dict:
    """URL arguments for the page, leaving out the defaults."""
    args = {}
    if period != insights.DEFAULT_PERIOD:
        args["period"] = period
    if level != insights.DEFAULT_LEVEL:
        args["level"] = level
    return args


@bp.context_processor
def insights_helpers():
    """Let the Insights templates build their links the way the view cleans them."""
    return {"insights_args": page_args}


@bp.get("/export")
@needs("export")
def export():
    """The customers of a segment, or of a list view (its tab, search, place and filters), who agreed to email
    marketing, as CSV; the export is recorded in the audit trail."""
    settings = get_settings()
    which = exports.ExportFilter.of(ListQuery.from_args(request.args, settings.currency), consent_only=True)
    total = exports.count(which, settings.country)
    described = filters.describe(which, settings.currency, settings.country)
    audit.record(current_user, "export", None,
                 detail=f"Email marketing export: {described}, {total:,} customer{'' if total == 1 else 's'}")
    db.session.commit()
    day = today(settings).isoformat()
    filename = f"email-marketing-{which.segment}-{day}.csv"
    response = Response(stream_with_context(exports.rows(which, settings.country, settings.currency)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
