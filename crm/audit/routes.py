"""The audit trail: who did what to the shop's customer data and when, filterable by action, person and date."""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, request, url_for
from sqlalchemy import func, select

from .. import urlargs
from ..extensions import db
from ..services import audit
from ..services.permissions import needs
from ..services.shop import get_settings, zone
from ..web import render

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


def _day(value: str | None) -> date | None:
    """A YYYY-MM-DD date, or None (ignored) for anything else.

    The calendar's first and last days are ignored too: their boundary in the shop's time zone is outside
    what a datetime can hold, and filtering from or to them leaves nothing out anyway.
    """
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and date.min < day < date.max else None


@dataclass
class TrailQuery:
    """The filters as asked for, cleaned: unknown actions and malformed dates are dropped."""

    action: str = ""
    person: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "TrailQuery":
        """Read action, person, from, to and page."""
        action = args.get("action", "")
        page = urlargs.page_number(args)
        return cls(action if action in audit.ACTION_LABELS else "", urlargs.text(args, "person", 254),
                   _day(args.get("from")), _day(args.get("to")), page)

    def args(self, **changes) -> dict:
        """URL arguments, leaving out the empty ones."""
        merged = {"action": self.action, "person": self.person,
                  "from": self.start.isoformat() if self.start else "",
                  "to": self.end.isoformat() if self.end else "", "page": self.page, **changes}
        return {k: v for k, v in merged.items() if v and not (k == "page" and v == 1)}


@bp.get("")
@needs("audit")
def index():
    """The trail, newest first, 50 a page; the filters swap only the results with htmx."""
    query = TrailQuery.from_args(request.args)
    shop_zone = zone(get_settings().timezone)
    # Days are the shop's days: "to 22 Nov" includes all of 22 Nov in the shop's time zone.
    start = datetime.combine(query.start, time(0), shop_zone) if query.start else None
    end = datetime.combine(query.end + timedelta(days=1), time(0), shop_zone) if query.end else None
    stmt = audit.search(query.action, query.person, start, end)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    events = db.session.scalars(stmt.limit(PER_PAGE).offset((query.page - 1) * PER_PAGE)).all()
    response = render("audit/index.html", "audit/partials/_results.html", query=query, events=events,
                      total=total, pages=pages, actors=audit.actors(), labels=audit.ACTION_LABELS)
    if request.htmx:
        response.headers["HX-Push-Url"] = url_for("audit.index", **query.args())
    return response
