"""Running dry runs and imports off the request: on the task worker (crm.worker), or in the request for tests.

A 100,000-row file takes longer to check and import than a request should take, so the request only marks
the job as queued in its state file and hands it to the task queue; a worker process runs it and reports its
progress to that JSON file beside the upload (see crm.imports.files). Any web worker can answer the polling
requests from that file, and none of them has to read the database while the import holds SQLite's write
lock. With IMPORT_SYNC (tests) the same work runs inside the request instead.

A running job holds its lock file (ImportFiles.lock) from the moment its state says "running" until its last
state is written. A queued job's state says "running" too (the pages show it waiting at 0 %), with a
"queued" attempt id and no lock: the worker that takes it locks it first, then drops the id. A state that
says "running" without that id while its lock is free belongs to a job whose process is gone: a dry run then
simply starts again, and an import is recorded as failed (see "interrupted imports" below). A queued job
whose task a killed worker had already taken is queued again when a worker starts (`requeue_lost`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import imports  # the package's public names (crm/imports/__init__.py), as the views use them
from ..extensions import db
from ..models import ImportJob, User
from ..services.shop import get_settings
from ..worker import queue
from . import listing
from .files import ImportFiles, JobLock, UnknownUpload
from .messages import N_

log = logging.getLogger(__name__)

IMPORT_STATE = "import.json"
IMPORT_LOCK = "import.lock"
UNDO_STATE = "undo.json"  # an undo's state and lock (crm.imports.undo_jobs), in a folder of its own
UNDO_LOCK = "undo.lock"
REPORT_EVERY = 0.25  # seconds between progress writes
CHECK_SHARE = 70  # percent of the import's bar for checking the rows; saving them fills the rest
# The messages a job keeps in its state (and a failed import in import_job.error) stay English: the pages
# translate them when they show them (crm.imports.messages).
QUEUE_DOWN = N_("The task queue could not be reached, so nothing was started (the error has been logged). Try again "
                "in a minute.")
WAIT_POLL = 0.05  # seconds between looks at a queued dry run's state while the page waits for it
INTERRUPTED = N_("Nothing was imported: the import stopped before it finished, because the server was stopped or "
                 "restarted while it ran. Check the file again, then import.")


def check_name(mapping: list[str], overwrite: bool = False) -> str:
    """The state file of the dry run for one mapping and overwrite choice (its list of changes sits beside it)."""
    key = "\x1f".join(mapping) + ("\x1eoverwrite" if overwrite else "\x1efill")
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return f"check-{digest}.json"


def _lock_name(state_name: str) -> str:
    """The lock file that a job reporting to `state_name` holds while it runs."""
    return state_name.removesuffix(".json") + ".lock"


def _now_iso() -> str:
    """The current UTC time in ISO 8601 (to the microsecond: with the token it names one import attempt)."""
    return datetime.now(timezone.utc).isoformat()


class _Reporter:
    """Writes a running job's progress at most every REPORT_EVERY seconds."""

    def __init__(self, files: ImportFiles, token: str, name: str, state: dict):
        """Report into one state file of one upload, starting from `state`."""
        self.files, self.token, self.name, self.state = files, token, name, state
        self.last = 0.0

    def __call__(self, percent: int, force: bool = False, **extra) -> None:
        """Record the progress (and any other fields) when enough time has passed."""
        now = time.time()
        self.state.update(extra, percent=max(0, min(100, int(percent))))
        if force or now - self.last >= REPORT_EVERY:
            self.last = now
            self.files.write_state(self.token, self.name, self.state)


def _run_here(lock: JobLock, work, *args) -> None:
    """Run `work(*args)` now, in this app context, holding `lock` until it ends (IMPORT_SYNC)."""
    try:
        work(*args)
    finally:
        lock.release()


def _queue(app: Flask, files: ImportFiles, token: str, name: str, state: dict, lock: JobLock) -> dict:
    """Mark the job as queued under its lock, let go of the lock (the worker takes it) and enqueue it.

    Returns the state written. When the queue can't be reached, the state says so (failed) instead.
    """
    attempt = secrets.token_hex(8)
    state = {**state, "queued": attempt}
    try:
        files.write_state(token, name, state)
    finally:
        lock.release()
    try:
        queue.enqueue(app, "import", str(files.root), token, name, attempt)
    except Exception:
        log.exception("Queueing the job %s of upload %s failed", name, token)
        state = {k: v for k, v in state.items() if k != "queued"}
        state.update(status="failed", message=QUEUE_DOWN, percent=0)
        if name == IMPORT_STATE:
            state["recorded"] = False  # the next look at it writes the import_job row
        files.write_state(token, name, state)
    return state


def run_queued(root: str, token: str, name: str, attempt: str) -> None:
    """The task the worker runs: the dry run or import queued as `attempt`, unless it ran or went meanwhile."""
    files = ImportFiles(root)
    try:
        lock = files.lock(token, _lock_name(name))
    except UnknownUpload:
        return  # removed meanwhile (the day-old clean-up)
    if lock is None:
        return  # another worker runs this job
    with lock:
        state = files.read_state(token, name)
        if not state or state.get("queued") != attempt:
            return  # an older copy of the task, or one queued again after a restart
        state = {k: v for k, v in state.items() if k != "queued"}
        files.write_state(token, name, state)  # "running", and locked: from now on a dead job is seen as such
        if name == IMPORT_STATE:
            _import(files, token, state)
        elif name == UNDO_STATE:
            from .undo_jobs import undo_now  # it builds on this module

            undo_now(files, token, state["job_id"], state["user_id"])
        else:
            _check(files, token, state["mapping"], bool(state.get("overwrite")), name)


def _waited(files: ImportFiles, token: str, name: str, state: dict, wait: float) -> dict:
    """The state once the job is no longer running, or as it is after `wait` seconds."""
    deadline = time.monotonic() + wait
    while state.get("status") == "running" and time.monotonic() < deadline:
        time.sleep(WAIT_POLL)
        state = files.read_state(token, name) or state
    return state


# ---- dry runs --------------------------------------------------------------------------------------------------


def check(app: Flask, files: ImportFiles, token: str, mapping: list[str], *, sync: bool,
          wait: float = 0.0, overwrite: bool = False) -> dict:
    """The dry run's state for this mapping and overwrite choice, starting it when there is none (or its
    process is gone).

    Waits up to `wait` seconds for a new run, so a small file's results come with the first page.
    """
    name = check_name(mapping, overwrite)
    state = files.read_state(token, name)
    files.touch(token)
    if state and (state.get("status") == "done" or state.get("queued")):
        return _waited(files, token, name, state, wait) if state.get("queued") else state
    lock = files.lock(token, _lock_name(name))
    if lock is None:  # a run of this mapping is alive
        return state or {"status": "running", "percent": 0, "mapping": mapping}
    state = files.read_state(token, name)  # it may have finished (or been queued) between the first look and the lock
    if state and (state.get("status") == "done" or state.get("queued")):
        lock.release()
        return state
    state = {"status": "running", "percent": 0, "mapping": mapping, "overwrite": overwrite}
    if not sync:
        return _waited(files, token, name, _queue(app, files, token, name, state, lock), wait)
    try:
        files.write_state(token, name, state)
    except BaseException:
        lock.release()
        raise
    _run_here(lock, _check, files, token, mapping, overwrite, name)
    return files.read_state(token, name) or state


def _check(files: ImportFiles, token: str, mapping: list[str], overwrite: bool, name: str) -> None:
    """Run the dry run and store its counts, problems and list of changes."""
    report = _Reporter(files, token, name, {"status": "running", "mapping": mapping})
    changes = None
    try:
        source = imports.read_csv(files.data(token))
        region = get_settings().country
        changes = listing.ChangeList(files.folder(token) / listing.name_for(name), region)
        result = imports.analyse(source, mapping, region, overwrite=overwrite, on_change=changes.add,
                                 progress=lambda done, total: report(100 * done / total))
        db.session.rollback()  # it only read
        changes.close()
        report(100, force=True, status="done", result=result.summary(), checked_at=time.time())
    except UnknownUpload:
        return
    except Exception:
        log.exception("Checking import %s failed", token)
        db.session.rollback()
        if changes is not None:
            changes.discard()
        report(0, force=True, status="failed",
               message=N_("Checking the file failed (the error has been logged). Upload it again to retry."))


# ---- imports ------------------------------------------------------------------------------------------------------


def start_import(app: Flask, files: ImportFiles, token: str, mapping: list[str], user_id: int, *,
                 sync: bool, overwrite: bool = False) -> bool:
    """Start importing the upload with this mapping (replacing stored values with `overwrite`); False when an
    import of it is running or done."""
    lock = files.lock(token, IMPORT_LOCK)
    if lock is None:
        return False  # an import of this upload is running (a second click, or another worker)
    try:
        state = files.read_state(token, IMPORT_STATE)
        if _unsettled(state):  # an earlier attempt's process is gone: note it before this one starts
            state = _settle(files, token, state)
        if state is not None and (state["status"] == "done" or state.get("queued")):
            lock.release()
            return False
        state = {"status": "running", "phase": "checking", "percent": 0, "mapping": mapping,
                 "overwrite": overwrite, "user_id": user_id, "started_at": _now_iso()}
        if not sync:
            _queue(app, files, token, IMPORT_STATE, state, lock)
            return True
        files.write_state(token, IMPORT_STATE, state)
    except BaseException:
        lock.release()
        raise
    _run_here(lock, _import, files, token, state)
    return True


def _failure(exc: Exception) -> str:
    """What to tell the owner about an import that was rolled back."""
    if isinstance(exc, imports.ImportConflict):
        return f"Nothing was imported: {exc} Check the file again, then import."
    if isinstance(exc, IntegrityError):
        return N_("Nothing was imported: while the import ran, another customer got an email or membership ID "
                  "from the file. Check the file again, then import.")
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return N_("Nothing was imported: the database was busy. Try again in a minute.")
    return N_("Nothing was imported: something went wrong (the error has been logged). Try again.")


def _import(files: ImportFiles, token: str, start: dict) -> None:
    """Check the file again against the shop as it is now, then write everything in one transaction."""
    mapping = start["mapping"]
    report = _Reporter(files, token, IMPORT_STATE, dict(start))
    meta: dict = {}
    user = None
    plan = None
    try:
        meta = files.meta(token)
        user = db.session.get(User, start["user_id"])
        source = imports.read_csv(files.data(token))
        region = get_settings().country
        plan = imports.analyse(source, mapping, region, keep_plan=True, overwrite=bool(start.get("overwrite")),
                               progress=lambda done, total: report(CHECK_SHARE * done / total))
        report(CHECK_SHARE, force=True, phase="saving", total=plan.to_import)
        imports.begin_write()
        job = imports.write(plan, user, token=token, filename=meta.get("filename", ""),
                            progress=lambda done, total: report(
                                CHECK_SHARE + (100 - CHECK_SHARE) * done / max(total, 1), done=done))
        db.session.commit()
        _imported(files, token, plan, job, report)
    except Exception as exc:
        db.session.rollback()
        log.exception("Import %s failed; rolled back", token)
        report.state.update(status="failed", message=_failure(exc), recorded=False)
        report(0, force=True, **_record(token, report.state, meta, rows=plan.rows if plan else meta.get("rows", 0)))


def _imported(files: ImportFiles, token: str, plan, job: ImportJob, report: _Reporter) -> None:
    """After the commit: the dry run now reads as the import found it, and the state says done (a process
    stopped before this is recorded as done from the import_job row: see _settle)."""
    mapping = report.state["mapping"]
    files.write_state(token, check_name(mapping, bool(report.state.get("overwrite"))), {
        "status": "done", "mapping": mapping, "result": plan.summary(), "checked_at": time.time(), "percent": 100})
    report(100, force=True, status="done", created=job.created, updated=job.updated, skipped=job.skipped,
           invalid=job.invalid, job_id=job.id)


# ---- interrupted imports --------------------------------------------------------------------------------------
# Everything that notices an import whose process is gone and records it is here, so it can move with the
# imports when they move to a task queue.


def _unsettled(state: dict | None) -> bool:
    """A state that may still need recording: running (its job may be gone; a queued one is waiting, not gone),
    or failed but not yet recorded."""
    return bool(state) and ((state.get("status") == "running" and not state.get("queued"))
                            or (state.get("status") == "failed" and state.get("recorded") is False))


def _record(token: str, state: dict, meta: dict, rows: int) -> dict:
    """Write a failed attempt's import_job row (once); the state fields that say whether it was written."""
    try:
        user = db.session.get(User, state["user_id"]) if state.get("user_id") is not None else None
        job = imports.record_failure(user, token=token, filename=meta.get("filename", ""),
                                     rows=rows, error=state["message"],
                                     started_at=datetime.fromisoformat(state["started_at"]))
        db.session.commit()
        return {"recorded": True, "job_id": job.id}
    except Exception:
        # The database may be busy (another import holds SQLite's write lock): the state stays "not recorded",
        # and the next look at it (the progress page, Recent imports, a restart) writes the row.
        db.session.rollback()
        log.exception("Recording the failed import %s failed", token)
        return {"recorded": False}


def _settle(files: ImportFiles, token: str, state: dict) -> dict:
    """Record an attempt whose job is gone (the caller holds the import's lock); return its state now."""
    if state["status"] == "running":
        job = imports.done_job(token)
        if job is not None:  # it committed, then stopped before it could say so
            state = {**state, "status": "done", "percent": 100, "created": job.created, "updated": job.updated,
                     "skipped": job.skipped, "invalid": job.invalid, "job_id": job.id}
            files.write_state(token, IMPORT_STATE, state)
            return state
        # Failed first, then recorded: whatever happens next, the page no longer says the import is running.
        state = {**state, "status": "failed", "message": INTERRUPTED, "recorded": False}
        files.write_state(token, IMPORT_STATE, state)
        log.warning("Import %s stopped before it finished (its process is gone): recorded as failed", token)
    if state.get("started_at") is None:  # a state written before attempts had a start time
        state = {**state, "started_at": _now_iso()}
    meta = files.meta(token)
    state = {**state, **_record(token, state, meta, rows=meta.get("rows", 0))}
    files.write_state(token, IMPORT_STATE, state)
    return state


def import_state(files: ImportFiles, token: str) -> dict | None:
    """The import's state, or None before it started; an import whose job is gone is recorded as failed first."""
    state = files.read_state(token, IMPORT_STATE)
    if not _unsettled(state):
        return state
    lock = files.lock(token, IMPORT_LOCK)
    if lock is None:
        return state  # alive, or someone else is recording it right now
    with lock:
        state = files.read_state(token, IMPORT_STATE)  # as it is now that nobody else can change it
        if _unsettled(state):
            state = _settle(files, token, state)
    return state


def recover(files: ImportFiles) -> None:
    """Record every import that a stopped or restarted server left running (or failed without a record)."""
    for token in files.tokens():
        try:
            import_state(files, token)
        except UnknownUpload:
            continue  # removed meanwhile (the day-old clean-up)


def requeue_lost(app: Flask, files: ImportFiles, pending: set[str]) -> int:
    """Queue again every job still marked queued whose task is not in the queue (`pending`: the attempt ids
    waiting there), as when a worker was killed after taking it; return how many. Run when a worker starts."""
    requeued = 0
    for token in files.tokens():
        try:
            names = [IMPORT_STATE, UNDO_STATE, *(p.name for p in files.folder(token).glob("check-*.json"))]
            for name in names:
                state = files.read_state(token, name)
                if not state or not state.get("queued") or state["queued"] in pending:
                    continue
                lock = files.lock(token, _lock_name(name))
                if lock is None:
                    continue  # a worker has just taken it
                if (files.read_state(token, name) or {}).get("queued") != state["queued"]:
                    lock.release()
                    continue
                _queue(app, files, token, name, state, lock)
                requeued += 1
        except UnknownUpload:
            continue
    return requeued
