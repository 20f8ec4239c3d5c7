"""The customer list as a CSV download."""

from flask import Response, request, stream_with_context

from ...extensions import db
from ...services import audit, exports
from ...services.customers import ListQuery
from ...services.permissions import needs
from ...services.shop import get_settings, today
from .base import acting_user, bp


@bp.get("/export")
@needs("export")
def export():
    """The list as it is filtered (tab, search, location) as a CSV download; the export goes in the trail."""
    query = ListQuery.from_args(request.args)
    which = exports.ExportFilter(segment=query.segment, q=query.q, location=query.location)
    shop = get_settings()
    total = exports.count(which, shop.country)
    described = which.segment_label + (f", search “{query.q}”" if query.q else "")
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
