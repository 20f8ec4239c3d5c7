"""The list's "Columns": each person ticks the columns they want to see; kept on their account, so the list
looks the same on each of their devices and nobody else's changes."""

from flask import redirect, request, url_for
from flask_login import current_user

from ...extensions import db
from ...services import list_columns
from ...services.customers import ListQuery
from ...services.permissions import needs
from .base import bp


def _back() -> str:
    """The list the form was sent from: a saved view's tab (view=<id>) or the list's own arguments."""
    view = request.args.get("view", type=int)
    if view is not None:
        return url_for("customers.index", view=view)
    return url_for("customers.index", **ListQuery.from_args(request.args).args())


@bp.post("/columns")
@needs("view")
def choose_columns():
    """Keep the ticked columns for this person and show the list again (htmx swaps it in)."""
    if list_columns.choose(current_user, request.form.getlist("column")):
        db.session.commit()
    return redirect(_back(), 303)
