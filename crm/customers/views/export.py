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
    return download(which, shop, f"customers-{query.segment}-{today(shop).isoformat()}.csv")


def download(which: exports.ExportFilter, shop, filename: str) -> Response:
    """The customers `which` holds as a streamed CSV attachment named `filename`."""
    response = Response(stream_with_context(exports.rows(which, shop.country, shop.currency)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
