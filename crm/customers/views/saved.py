"""Saved views of the list: save the list as it is, rename, delete and move a view's tab.

Each opener ("Save view", "Rename view", "Delete view") is a GET form: htmx puts the small form it answers
under the tabs, a browser without JavaScript gets it as a page. The forms post; success goes to the view (or
the list) with a status message, a name that can't be used comes back with its message and nothing saved.
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import SavedView
from ...services import saved_views
from ...services.customers import ListQuery
from ...services.permissions import needs
from ...services.shop import get_settings
from ..checks import Invalid
from ..forms import ViewNameForm
from .base import acting_user, bp

FORM_PAGE = "customers/view_form.html"
FORM_PARTIAL = "customers/partials/_view_form.html"


def _view_or_404(view_id: int) -> SavedView:
    return db.session.get(SavedView, view_id) or abort(404)


def _form(mode: str, form: ViewNameForm, status: int = 200, **context):
    """The form of `mode` ("new", "rename", "delete"): alone for htmx (which swaps only 2xx answers, so a
    message comes back with 200), else as a page (422 for a name to correct)."""
    template = FORM_PARTIAL if request.htmx else FORM_PAGE
    context = {"view": None, "list_args": {}, **context}
    response = make_response(render_template(template, mode=mode, form=form, **context))
    response.status_code = 200 if request.htmx else status
    return response


def _asked(mode: str, view: SavedView, **shown):
    """On a GET (or HEAD), the form of `mode` for the view, filled with `shown`; None for a POST, which does
    the work."""
    if request.method not in ("GET", "HEAD"):
        return None
    return _form(mode, ViewNameForm(formdata=None, data=shown or None), view=view)


def _done(message: str | None, target: str):
    """Commit, say so (when something changed), and go to `target`: a whole page load for htmx too, so the
    tabs, the status message and the address agree."""
    if message:
        db.session.commit()
        flash(message, "success")
    if request.htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _list_args() -> dict:
    """The list's arguments the request carries (a view is saved from the list as it is)."""
    return ListQuery.from_args(request.args).args(page=1)


@bp.get("/views/new")
@needs("edit")
def new_view():
    """The "Save view" form for the list as the arguments describe it."""
    return _form("new", ViewNameForm(formdata=None), list_args=_list_args())


@bp.post("/views")
@needs("edit")
def create_view():
    """Save the list (the arguments in the URL) as a view named as typed, and open it."""
    form = ViewNameForm()
    args = _list_args()
    if form.validate_on_submit():
        try:
            view = saved_views.create(form.name.data, ListQuery.from_args(request.args), acting_user(),
                                      get_settings())
        except Invalid as problem:
            form.name.errors = [problem.shown]
        else:
            return _done(_("Saved the view “%(name)s”. Everyone on the team sees it.", name=view.name),
                         url_for("customers.index", view=view.id))
    return _form("new", form, 422, list_args=args)


@bp.route("/views/<int:view_id>/rename", methods=["GET", "POST"])
@needs("edit")
def rename_view(view_id: int):
    """Show the "Rename view" form, or rename the view as typed."""
    view = _view_or_404(view_id)
    return _asked("rename", view, name=saved_views.shown_name(view)) or _rename(view)


def _rename(view: SavedView):
    """Rename the view as the posted form says, or give the form back with its message."""
    form = ViewNameForm()
    if form.validate_on_submit():
        old = saved_views.shown_name(view)
        try:
            changed = saved_views.rename(view, form.name.data, acting_user())
        except Invalid as problem:
            form.name.errors = [problem.shown]
        else:
            message = (_("Renamed the view “%(old)s” to “%(new)s”.", old=old, new=view.name) if changed
                       else _("The view keeps its name."))
            return _done(message, url_for("customers.index", view=view.id))
    return _form("rename", form, 422, view=view)


@bp.route("/views/<int:view_id>/delete", methods=["GET", "POST"])
@needs("edit")
def delete_view(view_id: int):
    """Ask before deleting a view, or delete it for the whole team."""
    view = _view_or_404(view_id)
    if (asked := _asked("delete", view)) is not None:
        return asked
    if not ViewNameForm().validate_on_submit():
        abort(400)
    name = saved_views.shown_name(view)
    saved_views.delete(view, acting_user())
    return _done(_("Deleted the view “%(name)s”. No customer was changed.", name=name), url_for("customers.index"))


@bp.post("/views/<int:view_id>/move")
@needs("edit")
def move_view(view_id: int):
    """Move a view's tab one place left or right (`direction`); at either end nothing moves."""
    view = _view_or_404(view_id)
    form = ViewNameForm()
    if not form.validate_on_submit():
        abort(400)
    step = {"left": -1, "right": 1}.get(request.form.get("direction", ""))
    target = url_for("customers.index", view=view.id)
    if step is None or not saved_views.move(view, step, acting_user()):
        return _done(None, target)
    message = (_("Moved the view “%(name)s” left.", name=saved_views.shown_name(view)) if step < 0
               else _("Moved the view “%(name)s” right.", name=saved_views.shown_name(view)))
    return _done(message, target)
