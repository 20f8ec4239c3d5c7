"""Actions on many customers at once, from the list's selection: a confirmation page saying how many customers
it is about and how many it skips, then the action in one transaction, or, over BULK_QUEUE_OVER customers, on
the task worker with a progress page. One view per action, each needing what its single form needs."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ... import urlargs
from ...extensions import db
from ...imports import begin_write
from ...models import BulkJob, Tag
from ...services import audit, bulk, exports, tags
from ...services.customers import ListQuery
from ...services.permissions import needs
from ...services.shop import get_settings, today
from ...web import render
from .. import jobs
from ..checks import Invalid
from .base import acting_user, bp, page
from .export import download

LIST_ARGS_LENGTH = 4000  # the list's URL arguments, as the list's own links carry them
NOTHING = _l("No customers are selected: tick customers on the list, or select all matching, first. Nothing was "
             "changed.")
RACED = _l("Nothing was changed: other changes to these customers were being saved at the same moment. Try again in "
           "a minute.")
TOO_MANY = _l("Tick at most %(num)s customers, or select all matching instead. Nothing was changed.",
              num=format(bulk.MAX_IDS, ","))


@bp.app_template_global()
def bulk_list_args(query: ListQuery) -> str:
    """The list's URL arguments as the bulk form sends them on (a query string, lists repeated)."""
    return bulk.list_args_of(query.args())


def _selection() -> bulk.Selection:
    """The selection the list's form (or the confirmation page) sent: ticked ids, the page's when "Select all on
    this page" was ticked, or all matching, with the list's arguments."""
    form = request.form
    ids = urlargs.ids(form, "id") + (urlargs.ids(form, "page_id") if form.get("page") == "1" else [])
    list_args = (form.get("list") or "")[:LIST_ARGS_LENGTH]
    return bulk.Selection(tuple(dict.fromkeys(ids)), list_args, form.get("all") == "1")


def _page(action: bulk.Action, selection: bulk.Selection, status: int = 200, **context):
    """The confirmation page (or the tag to choose first, or why nothing can be done)."""
    choices = tags.listing() if action.key.endswith("_tag") else []
    # `choosing`: how many customers are selected, while the tag is still to be chosen
    for key, default in (("choosing", 0), ("error", None), ("preview", None), ("tag_name", ""), ("typed", ""),
                         ("new_tag", False)):
        context.setdefault(key, default)
    return page("customers/bulk_confirm.html", status, action=action, selection=selection, tags=choices,
                back=url_for("customers.index", **selection.list_url_args()), **context)


def _chosen_tag(action: bulk.Action) -> tuple[str, Tag | None]:
    """The tag name sent (cleaned) and the tag it names, if there is one; Invalid says what is wrong with it."""
    name = tags.clean_name(request.form.get("tag") or "")
    tag = tags.find(name)
    if action.key == "remove_tag" and tag is None:
        raise Invalid(_l("There is no tag “%(name)s”: choose one of the list.", name=name))
    return (tag.name if tag is not None else name), tag


def _act(slug: str):
    """Choose the tag (tag actions), confirm, then run the action on the selection."""
    action = bulk.BY_SLUG[slug]
    selection = _selection()
    if len(selection.ids) > bulk.MAX_IDS:
        return _page(action, selection, 422, error=TOO_MANY)
    ids = selection.statement(get_settings().country)
    selected = bulk.count(ids)
    if not selected:
        return _page(action, selection, 422, error=NOTHING)
    tag_name, tag = "", None
    if action.key.endswith("_tag"):
        if "tag" not in request.form:
            return _page(action, selection, choosing=selected)
        try:
            tag_name, tag = _chosen_tag(action)
        except Invalid as problem:
            return _page(action, selection, 422, choosing=selected, error=problem.shown,
                         typed=request.form.get("tag"))
    preview = bulk.preview(action, ids, tag, tag_name)
    if request.form.get("confirmed") != "1" or not preview.total:
        return _page(action, selection, preview=preview, tag_name=tag_name, new_tag=tag is None)
    return _run(action, selection, preview, tag_name)


def _run(action: bulk.Action, selection: bulk.Selection, preview: bulk.Preview, tag_name: str):
    """Export, queue, or do the action now and go back to the list saying what it did."""
    app = current_app._get_current_object()
    if action.key == "export":
        return _export(selection, preview.total)
    if preview.total > jobs.queue_over(app):
        job = jobs.start(app, action, selection, acting_user(), preview.total, tag_name)
        return redirect(url_for("customers.bulk_job", bulk_job_id=job.id), 303)
    try:
        begin_write()
        outcome = bulk.run(action, selection, acting_user(), get_settings().country, tag_name=tag_name)
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
            raise
        return _page(action, selection, 409, error=RACED)
    flash(outcome.message, "success")
    return redirect(url_for("customers.index", **selection.list_url_args()), 303)


def _export(selection: bulk.Selection, total: int):
    """The selected customers as the CSV export; the export goes in the trail as every export does."""
    shop = get_settings()
    audit.record(acting_user(), "export", None, detail=f"Customer export: selected on the list, {bulk.customers(total)}")
    db.session.commit()
    which = exports.ExportFilter(ids=selection.statement(shop.country))
    return download(which, shop, f"customers-selected-{today(shop).isoformat()}.csv")


@bp.post("/bulk/add-tag")
@needs("edit")
def bulk_add_tag():
    """Add a tag (an existing one, or a new one by its name) to the selected customers."""
    return _act("add-tag")


@bp.post("/bulk/remove-tag")
@needs("edit")
def bulk_remove_tag():
    """Take a tag off the selected customers."""
    return _act("remove-tag")


@bp.post("/bulk/export")
@needs("export")
def bulk_export():
    """Download the selected customers as CSV."""
    return _act("export")


@bp.post("/bulk/unsubscribe")
@needs("edit")
def bulk_unsubscribe():
    """Turn off email marketing for the selected customers (recorded as the customer form records it)."""
    return _act("unsubscribe")


@bp.post("/bulk/delete")
@needs("delete")
def bulk_delete():
    """Move the selected customers without orders to Recently deleted; those with orders are kept."""
    return _act("delete")


@bp.get("/bulk/jobs/<int:bulk_job_id>")
@needs("view")
def bulk_job(bulk_job_id: int):
    """How a queued bulk action goes (htmx polls the partial until it is over); only its author sees it."""
    job = db.session.get(BulkJob, bulk_job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    app = current_app._get_current_object()
    status = jobs.status(app, job)
    action = bulk.BY_KEY[job.action]
    outcome = (bulk.Outcome(action=action, changed=job.changed, skipped=job.skipped, tag=job.tag or "")
               if status == "done" else None)
    message = jobs.INTERRUPTED if status == "interrupted" else job.message
    message = _(message) if message else message  # stored in English: one of jobs' messages, translated
    return render("customers/bulk_job.html", "customers/partials/_bulk_job.html", job=job, action=action,
                  status=status, message=message, outcome=outcome,
                  percent=100 if status == "done" else jobs.progress(app, job.id),
                  back=url_for("customers.index", **jobs.selection_of(job).list_url_args()))
