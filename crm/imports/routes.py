"""Import customers: upload, preview with the column mapping and the dry run (its changes, paged and as CSV),
confirm, progress, invalid rows, and undoing a finished import."""

import logging
import math
import os
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from .. import imports  # the package's public names (crm/imports/__init__.py)
from ..extensions import csrf, db
from ..models import ImportJob
from ..services.permissions import needs
from ..urlargs import page_number
from ..web import render
from . import jobs, listing, undo_jobs
from .files import ImportFiles, UnknownUpload
from .forms import ConfirmForm, UndoForm, UploadForm
from .messages import shown

bp = Blueprint("imports", __name__, url_prefix="/customers/import")
log = logging.getLogger(__name__)

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the CSRF field around the file itself
SAMPLE_ROWS = 20  # rows looked at for each column's example value
PROBLEMS_SHOWN = 100
CHECK_WAIT = 1.0  # seconds a preview waits for a new dry run before showing its progress instead
RECOVERED = "crm.imports.recovered"  # app.extensions key: this process has looked for interrupted imports


def _files() -> ImportFiles:
    """Where uploads are kept: IMPORT_DIR, else the instance folder's imports/."""
    return ImportFiles(current_app.config.get("IMPORT_DIR") or os.path.join(current_app.instance_path, "imports"))


def _sync() -> bool:
    """Whether checks and imports run inside the request (IMPORT_SYNC, for tests)."""
    return bool(current_app.config.get("IMPORT_SYNC"))


def _meta(token: str) -> dict:
    """The upload's details; 404 unless it exists and belongs to the person asking."""
    try:
        meta = _files().meta(token)
    except UnknownUpload:
        abort(404)
    if meta.get("user_id") != current_user.id:
        abort(404)
    return meta


@bp.before_app_request
def recover_interrupted_imports():
    """On a serving process's first request, record the imports that a stopped or restarted server left running.

    Here and not in create_app, so `flask db upgrade` and the other commands never touch imports (and work on
    an empty database). Each process looks once; the import locks make sure each import is recorded once.
    """
    app = current_app._get_current_object()
    if app.extensions.get(RECOVERED):
        return None
    app.extensions[RECOVERED] = True
    try:
        jobs.recover(_files())
    except Exception:
        # The shop keeps answering (the upload page looks again), on a session fit for the request.
        db.session.rollback()
        log.exception("Looking for interrupted imports failed")
    return None


def _megabytes(size: int) -> str:
    """A size as people read it: "50 MB", "1 KB"."""
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"


def _upload_page(form: UploadForm, error: str | None = None, status: int = 200):
    """The upload form, with a file-level error next to the field when there is one."""
    if error:
        form.file.errors = [error]
    limit = current_app.config["IMPORT_MAX_BYTES"]
    jobs.recover(_files())  # so an import interrupted by a restart is listed with its reason
    return render_template("imports/upload.html", form=form, max_bytes=limit, max_size=_megabytes(limit),
                           fields=imports.FIELDS, computed=imports.COMPUTED_COLUMNS,
                           jobs=imports.recent_jobs(), undoable=imports.undoable), status


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # UploadForm checks the CSRF token itself, after the upload's own size limit is in place
@needs("import")
def upload():
    """Choose a CSV file; a readable one is kept for the preview, a bad one is refused with the reason."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if request.method == "POST":
        # Per request, so the rest of the app (the order API's 1 MB) keeps its own limit.
        request.max_content_length = limit + FORM_OVERHEAD
    too_big = _("This file is bigger than %(size)s: split it into smaller files and import each.",
                size=_megabytes(limit))
    try:
        form = UploadForm()
    except RequestEntityTooLarge:
        return _upload_page(UploadForm(formdata=None), too_big, 413)
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            return _upload_page(form, _("The page had expired: choose the file again and upload it."), 400)
        return _upload_page(form, status=422 if form.is_submitted() else 200)
    data = form.file.data.read(limit + 1)
    if len(data) > limit:
        return _upload_page(form, too_big, 413)
    try:
        source = imports.read_csv(data)
    except imports.BadFile as exc:
        return _upload_page(form, str(exc), 422)
    files = _files()
    files.clean_up()
    filename = Path((form.file.data.filename or "customers.csv").replace("\\", "/")).name[:255]
    token = files.save(data, {"user_id": current_user.id, "filename": filename, "size": len(data),
                              "rows": source.rows, "header": source.header, "delimiter": source.delimiter,
                              "samples": _samples(source)})
    return redirect(url_for("imports.preview", token=token), 303)


def _samples(source: imports.CsvFile) -> list[str]:
    """Each column's first non-empty value among the first rows, to show what the column holds."""
    samples = [""] * len(source.header)
    for count, (_number, cells) in enumerate(source.records()):
        if count >= SAMPLE_ROWS or all(samples):
            break
        for i, value in enumerate(cells[:len(samples)]):
            if not samples[i] and value.strip():
                samples[i] = imports.shorten(imports.cell(value), imports.SHOWN_VALUE)
    return samples


def _mapping(meta: dict, values) -> list[str]:
    """The mapping in the request's map_<column> arguments, or the guessed one when none was given."""
    return imports.from_args(meta["header"], values)


def _overwrite(values) -> bool:
    """Whether the request asks to overwrite stored values (the checkbox "Overwrite existing values")."""
    return values.get("overwrite") == "1"


def _args(mapping: list[str], overwrite: bool) -> dict[str, str]:
    """The URL (or form) arguments that name one dry run: the mapping, and overwrite when it is on."""
    return {**imports.as_args(mapping), **({"overwrite": "1"} if overwrite else {})}


def _changes_file(token: str, mapping: list[str], overwrite: bool) -> Path:
    """Where the dry run for this mapping and choice keeps its list of changes."""
    return _files().folder(token) / listing.name_for(jobs.check_name(mapping, overwrite))


def _labels(meta: dict) -> list[str]:
    """Each column's header as shown ("Column 3" for a blank one, in the page's language; a long one
    shortened). The jobs name a blank column in English in what they keep (imports.column_labels)."""
    header = meta["header"]
    return [label if name else _("Column %(num)s", num=i + 1)
            for i, (name, label) in enumerate(zip(header, imports.column_labels(header)))]


def _preview_context(token: str, meta: dict, mapping: list[str], overwrite: bool, page: int) -> dict:
    """What the preview page and its results partial show for one mapping and overwrite choice."""
    labels = _labels(meta)
    problems = imports.mapping_problems(labels, mapping)
    state = None
    if not problems:
        state = jobs.check(current_app._get_current_object(), _files(), token, mapping, sync=_sync(),
                           wait=CHECK_WAIT, overwrite=overwrite)
    args = _args(mapping, overwrite)
    result = (state or {}).get("result")
    pages = max(1, math.ceil(result["update"] / listing.PAGE_SIZE)) if result else 1
    page = min(page, pages)
    changes = listing.page_of(_changes_file(token, mapping, overwrite), page) if result else []
    return {"token": token, "meta": meta, "labels": labels, "mapping": mapping, "args": args,
            "overwrite": overwrite, "mapping_problems": problems, "state": state, "result": result,
            "changes": changes, "changes_page": page, "changes_pages": pages,
            "fields": imports.FIELDS, "column_notes": [imports.column_note(h) for h in meta["header"]],
            "left_out": imports.left_out(labels, mapping),
            "problems_shown": PROBLEMS_SHOWN, "confirm_form": ConfirmForm(),
            "preview_url": url_for("imports.preview", token=token, **args)}


@bp.context_processor
def import_helpers():
    """Let the import pages show what the jobs kept (messages, field labels) in the page's language."""
    return {"shown": shown}


@bp.get("/<token>")
@needs("import")
def preview(token: str):
    """The columns and what each is imported as, and the dry run's counts and invalid rows (htmx: the results)."""
    meta = _meta(token)
    mapping = _mapping(meta, request.args)
    return render("imports/preview.html", "imports/partials/_check.html",
                  **_preview_context(token, meta, mapping, _overwrite(request.args), page_number(request.args)))


@bp.get("/<token>/invalid.csv")
@needs("import")
def invalid_rows(token: str):
    """The dry run's invalid rows as in the file, with an "error" column saying what is wrong."""
    return _from_dry_run(token, "invalid-rows", lambda mapping, overwrite, state: imports.invalid_rows_csv(
        imports.read_csv(_files().data(token)), state["result"]["problems"]))


@bp.get("/<token>/changes.csv")
@needs("import")
def changes_csv(token: str):
    """The dry run's changes: one line per field of each customer it updates, with the old and new value."""
    return _from_dry_run(token, "changes", lambda mapping, overwrite, _state: listing.as_csv(
        _changes_file(token, mapping, overwrite)))


def _from_dry_run(token: str, name: str, build):
    """A CSV download made by `build(mapping, overwrite, state)` from the finished dry run of the mapping and
    overwrite choice in the URL; back to the check page while it hasn't finished."""
    meta = _meta(token)
    mapping, overwrite = _mapping(meta, request.args), _overwrite(request.args)
    state = _files().read_state(token, jobs.check_name(mapping, overwrite))
    if not state or state.get("status") != "done":
        return redirect(url_for("imports.preview", token=token, **_args(mapping, overwrite)))
    return _download(build(mapping, overwrite, state), meta, name)


def _download(lines, meta: dict, what: str) -> Response:
    """A CSV file to download, named after the upload ("customers-changes.csv")."""
    name = f"{Path(meta['filename']).stem or 'customers'}-{what}.csv"
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return response


@bp.post("/<token>/import")
@needs("import")
def confirm(token: str):
    """Start the import with the mapping that was checked; the progress page follows it."""
    meta = _meta(token)
    mapping, overwrite = _mapping(meta, request.form), _overwrite(request.form)
    form = ConfirmForm()
    if not form.validate_on_submit() or imports.mapping_problems(_labels(meta), mapping):
        flash(_("The import didn't start: check the file again, then import."), "error")
        return redirect(url_for("imports.preview", token=token, **_args(mapping, overwrite)), 303)
    jobs.start_import(current_app._get_current_object(), _files(), token, mapping, current_user.id, sync=_sync(),
                      overwrite=overwrite)
    return redirect(url_for("imports.progress", token=token), 303)


@bp.get("/<token>/progress")
@needs("import")
def progress(token: str):
    """How far the import is; htmx polls the partial every half second until it is done."""
    meta = _meta(token)
    state = jobs.import_state(_files(), token)
    if state is None:
        return redirect(url_for("imports.preview", token=token))
    mapping = state.get("mapping") or imports.guess_mapping(meta["header"])
    job = db.session.get(ImportJob, state["job_id"]) if state.get("status") == "done" else None
    return render("imports/progress.html", "imports/partials/_progress.html", token=token, meta=meta,
                  state=state, args=_args(mapping, bool(state.get("overwrite"))), job=job,
                  undoable=job is not None and imports.undoable(job), undo_form=UndoForm(formdata=None))


@bp.route("/jobs/<int:job_id>/undo", methods=["GET", "POST"])
@needs("import")  # undoing takes back only what an import did (created customers go to Recently deleted)
def undo(job_id: int):
    """Undo a finished import (POST), and how the undo goes or went (GET; htmx polls the partial)."""
    job = db.session.get(ImportJob, job_id) or abort(404)
    if request.method == "POST":
        if not UndoForm().validate_on_submit():
            flash(_("Nothing was undone: the page had expired. Press “Undo this import” again."), "error")
        elif imports.undoable(job):
            undo_jobs.start_undo(current_app._get_current_object(), _files(), job.id, current_user.id, sync=_sync())
        return redirect(url_for("imports.undo", job_id=job.id), 303)
    state = undo_jobs.undo_state(_files(), job)
    job = db.session.get(ImportJob, job_id)  # as it is now (settling the state may have read it anew)
    return render("imports/undo.html", "imports/partials/_undo.html", job=job, state=state,
                  undoable=imports.undoable(job), undo_form=UndoForm(formdata=None))
