"""Recently deleted: the customers deleted in the last 30 days, each with a button that puts them back."""

import math

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ... import urlargs
from ...extensions import db
from ...models import DeletedCustomer
from ...services import deleted
from ...services.permissions import needs
from .base import acting_user, bp, page

PER_PAGE = 50


def _bin_page(status: int = 200, error: deleted.CannotRestore | None = None):
    """The Recently deleted page (with why a restore was refused, 409)."""
    number = urlargs.page_number(request.args)
    stmt = deleted.listing()
    total = db.session.scalar(select(func.count()).select_from(DeletedCustomer))
    pages = max(1, math.ceil(total / PER_PAGE))
    entries = db.session.scalars(stmt.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return page("customers/deleted.html", status, entries=entries, total=total, page_number=number, pages=pages,
                purge_on=deleted.purge_on, kept_days=deleted.KEPT_FOR.days, error=error)


@bp.get("/deleted")
@needs("delete")
def recently_deleted():
    """Customers deleted in the last 30 days, the latest first, 50 a page."""
    return _bin_page()


@bp.post("/deleted/<int:entry_id>/restore")
@needs("delete")
def restore(entry_id: int):
    """Put a deleted customer back as they were, on their profile; refused (409) when another customer now has
    their email or membership ID; a number another customer has now is a warning."""
    entry = db.get_or_404(DeletedCustomer, entry_id)
    try:
        restored = deleted.restore(entry, acting_user())
        db.session.commit()
    except deleted.CannotRestore as refusal:
        db.session.rollback()
        return _bin_page(409, refusal)
    except IntegrityError:
        # Someone took the email or membership ID (or restored them) a moment ago: say which, as above.
        db.session.rollback()
        entry = db.get_or_404(DeletedCustomer, entry_id)
        refusal = deleted.refusal(entry)
        if refusal is None:
            raise
        return _bin_page(409, refusal)
    flash(_("Restored %(name)s", name=restored.customer.display_name), "success")
    for warning in restored.warnings:
        flash(warning, "warning")
    return redirect(url_for("customers.detail", customer_id=restored.customer.id))
