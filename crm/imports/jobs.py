"""Running dry runs and imports off the request: a background thread with its own app context and session.

A 100,000-row file takes longer to check and import than a request should take, so the work runs in a
thread and reports its progress to a JSON file beside the upload (see crm.services.import_files). Any worker
can answer the polling requests from that file, and none of them has to read the database while the import
holds SQLite's write lock. With IMPORT_SYNC (tests) the same work runs inside the request instead.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import User
from ..services import imports
from ..services.import_files import ImportFiles, UnknownUpload
from ..services.shop import get_settings

log = logging.getLogger(__name__)

IMPORT_STATE = "import.json"
STALE_SECONDS = 90  # a running job that hasn't reported for this long died with its worker
REPORT_EVERY = 0.25  # seconds between progress writes
CHECK_SHARE = 70  # percent of the import's bar for checking the rows; saving them fills the rest


def check_name(mapping: list[str]) -> str:
    """The state file of the dry run for one mapping."""
    digest = hashlib.sha1("\x1f".join(mapping).encode()).hexdigest()[:16]
    return f"check-{digest}.json"


def _fresh(state: dict | None) -> bool:
    """A running state whose worker reported recently."""
    return bool(state) and state.get("status") == "running" and (
        time.time() - float(state.get("heartbeat", 0)) < STALE_SECONDS)


class _Reporter:
    """Writes a running job's progress at most every REPORT_EVERY seconds."""

    def __init__(self, files: ImportFiles, token: str, name: str, state: dict):
        """Report into one state file of one upload, starting from `state`."""
        self.files, self.token, self.name, self.state = files, token, name, state
        self.last = 0.0

    def __call__(self, percent: int, force: bool = False, **extra) -> None:
        """Record the progress (and any other fields) when enough time has passed."""
        now = time.time()
        self.state.update(extra, percent=max(0, min(100, int(percent))), heartbeat=now)
        if force or now - self.last >= REPORT_EVERY:
            self.last = now
            self.files.write_state(self.token, self.name, self.state)


def _run(app: Flask, sync: bool, work, *args) -> threading.Thread | None:
    """Run `work(*args)` in a fresh app context: here (sync) or in a daemon thread, which is returned."""

    def target():
        """The work, in an app context (and so a database session) of its own."""
        with app.app_context():
            try:
                work(*args)
            finally:
                db.session.remove()

    if sync:
        target()
        return None
    thread = threading.Thread(target=target, name="crm-import", daemon=True)
    thread.start()
    return thread


# ---- dry runs --------------------------------------------------------------------------------------------------


def check(app: Flask, files: ImportFiles, token: str, mapping: list[str], *, sync: bool,
          wait: float = 0.0) -> dict:
    """The dry run's state for this mapping, starting it when there is none (or its worker died).

    Waits up to `wait` seconds for a new run, so a small file's results come with the first page.
    """
    name = check_name(mapping)
    state = files.read_state(token, name)
    if state and (state.get("status") == "done" or _fresh(state)):
        files.touch(token)
        return state
    state = {"status": "running", "percent": 0, "heartbeat": time.time(), "mapping": mapping}
    files.write_state(token, name, state)
    thread = _run(app, sync, _check, files, token, mapping, name)
    if thread is not None and wait:
        thread.join(wait)
    return files.read_state(token, name) or state


def _check(files: ImportFiles, token: str, mapping: list[str], name: str) -> None:
    """Run the dry run and store its counts and problems."""
    report = _Reporter(files, token, name, {"status": "running", "mapping": mapping})
    try:
        source = imports.read_csv(files.data(token))
        region = get_settings().country
        result = imports.analyse(source, mapping, region, progress=lambda done, total: report(100 * done / total))
        db.session.rollback()  # it only read
        report(100, force=True, status="done", result=result.summary(), checked_at=time.time())
    except UnknownUpload:
        return
    except Exception:
        log.exception("Checking import %s failed", token)
        db.session.rollback()
        report(0, force=True, status="failed",
               message="Checking the file failed (the error has been logged). Upload it again to retry.")


# ---- imports ------------------------------------------------------------------------------------------------------


def start_import(app: Flask, files: ImportFiles, token: str, mapping: list[str], user_id: int, *,
                 sync: bool) -> bool:
    """Start importing the upload with this mapping; False when an import of it is running or done."""
    state = import_state(files, token)
    if state is not None and state["status"] in ("running", "done"):
        return False
    state = {"status": "running", "phase": "checking", "percent": 0, "heartbeat": time.time(),
             "mapping": mapping}
    if state is not None:  # a failed attempt: this is a retry
        files.write_state(token, IMPORT_STATE, state)
    elif not files.claim(token, IMPORT_STATE, state):
        return False  # a second click (or worker) got here first
    _run(app, sync, _import, files, token, mapping, user_id)
    return True


def import_state(files: ImportFiles, token: str) -> dict | None:
    """The import's state, or None before it started; a job whose worker died reads as what the database says."""
    state = files.read_state(token, IMPORT_STATE)
    if state is None or state.get("status") != "running" or _fresh(state):
        return state
    job = imports.job_for(token)
    if job is not None and job.status == "done":
        return {**state, "status": "done", "percent": 100, "created": job.created, "updated": job.updated,
                "skipped": job.skipped, "invalid": job.invalid, "job_id": job.id}
    return {**state, "status": "failed",
            "message": "The import stopped before it finished (the server restarted). Nothing was imported."}


def _failure(exc: Exception) -> str:
    """What to tell the owner about an import that was rolled back."""
    if isinstance(exc, imports.ImportConflict):
        return f"Nothing was imported: {exc} Check the file again, then import."
    if isinstance(exc, IntegrityError):
        return ("Nothing was imported: while the import ran, another customer got an email or membership ID "
                "from the file. Check the file again, then import.")
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return "Nothing was imported: the database was busy. Try again in a minute."
    return "Nothing was imported: something went wrong (the error has been logged). Try again."


def _import(files: ImportFiles, token: str, mapping: list[str], user_id: int) -> None:
    """Check the file again against the shop as it is now, then write everything in one transaction."""
    report = _Reporter(files, token, IMPORT_STATE, {"status": "running", "phase": "checking", "mapping": mapping})
    meta: dict = {}
    user = None
    plan = None
    try:
        meta = files.meta(token)
        user = db.session.get(User, user_id)
        source = imports.read_csv(files.data(token))
        region = get_settings().country
        plan = imports.analyse(source, mapping, region, keep_plan=True,
                               progress=lambda done, total: report(CHECK_SHARE * done / total))
        report(CHECK_SHARE, force=True, phase="saving", total=plan.to_import)
        imports.begin_write()
        job = imports.write(plan, user, token=token, filename=meta.get("filename", ""),
                            progress=lambda done, total: report(
                                CHECK_SHARE + (100 - CHECK_SHARE) * done / max(total, 1), done=done))
        db.session.commit()
        # The dry run for this mapping now reads as the import found it.
        files.write_state(token, check_name(mapping), {
            "status": "done", "mapping": mapping, "result": plan.summary(), "heartbeat": time.time(),
            "checked_at": time.time(), "percent": 100})
        report(100, force=True, status="done", created=job.created, updated=job.updated, skipped=job.skipped,
               invalid=job.invalid, job_id=job.id)
    except Exception as exc:
        db.session.rollback()
        log.exception("Import %s failed; rolled back", token)
        message = _failure(exc)
        try:
            imports.record_failure(user, token=token, filename=meta.get("filename", ""),
                                   rows=plan.rows if plan else 0, error=message)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Recording the failed import %s failed too", token)
        report(0, force=True, status="failed", message=message)
