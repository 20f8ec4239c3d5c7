"""The customer list as a CSV download."""

from flask import Response, request, stream_with_context

from ...extensions import db
from ...services import audit, exports, filters
from ...services.customers import ListQuery
from ...services.permissions import needs
from ...services.shop import get_settings, today
from .base import acting_user, bp


@bp.get("/export")
@needs("export")
def export():
    """The list as it is filtered (tab, search, location, filters) as a CSV download; the export goes in the trail."""
    shop = get_settings()
    query = ListQuery.from_args(request.args, shop.currency)
    which = exports.ExportFilter.of(query)
    total = exports.count(which, shop.country)
    described = filters.describe(which, shop.currency, shop.country)
    audit.record(acting_user(), "export", None,
                 detail=f"Customer export: {described}, {total:,} customer{'' if total == 1 else 's'}")
    db.session.commit()
    day = today(shop).isoformat()
    response = Response(stream_with_context(exports.rows(which, shop.country, shop.currency)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="customers-{query.segment}-{day}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
