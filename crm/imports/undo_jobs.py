"""Undoing an import off the request, as imports run (crm.imports.jobs): one transaction, queued for the task
worker (or run in the request with IMPORT_SYNC), with a lock and a state file in the folder
ImportFiles.undo_folder gives (the upload may be gone by then).

A state that says "running" while its lock is free (and no worker has it queued) belongs to an undo whose
process is gone: done if the import_job row says it was undone (it committed), else failed, and it can be
tried again.
"""

from __future__ import annotations

import json
import logging

from flask import Flask

from .. import imports
from ..extensions import db
from ..models import ImportJob, User
from .files import ImportFiles, UnknownUpload
from .jobs import UNDO_LOCK, UNDO_STATE, _queue, _Reporter, _run_here
from .messages import N_

log = logging.getLogger(__name__)

# Kept in the undo's state in English, like the import's messages (the page translates them: messages.shown).
UNDO_INTERRUPTED = N_("Nothing was undone: the undo stopped before it finished, because the server was stopped or "
                      "restarted while it ran. Undo the import again.")


def start_undo(app: Flask, files: ImportFiles, job_id: int, user_id: int, *, sync: bool) -> bool:
    """Start undoing import `job_id`; False when an undo of it is running."""
    key = files.undo_folder(job_id)
    lock = files.lock(key, UNDO_LOCK)
    if lock is None:
        return False
    state = {"status": "running", "percent": 0, "job_id": job_id, "user_id": user_id}
    if not sync:
        _queue(app, files, key, UNDO_STATE, state, lock)
        return True
    try:
        files.write_state(key, UNDO_STATE, state)
    except BaseException:
        lock.release()
        raise
    _run_here(lock, undo_now, files, key, job_id, user_id)
    return True


def undo_now(files: ImportFiles, key: str, job_id: int, user_id: int) -> None:
    """Undo the import in one transaction (the import's own write lock first); the state says how it went."""
    report = _Reporter(files, key, UNDO_STATE, {"status": "running", "job_id": job_id, "user_id": user_id})
    try:
        imports.begin_write()
        job = db.session.get(ImportJob, job_id)
        if job is None:
            raise imports.CannotUndo(N_("Nothing was undone: there is no such import."))
        result = imports.undo(job, db.session.get(User, user_id),
                              progress=lambda done, total: report(100 * done / max(total, 1)))
        db.session.commit()
        report(100, force=True, status="done", result=result.summary())
    except imports.CannotUndo as exc:
        db.session.rollback()
        report(0, force=True, status="failed", message=str(exc))
    except Exception:
        db.session.rollback()
        log.exception("Undoing import %s failed; rolled back", job_id)
        report(0, force=True, status="failed",
               message=N_("Nothing was undone: something went wrong (the error has been logged). Try again."))


def undo_state(files: ImportFiles, job: ImportJob) -> dict | None:
    """The undo's state (None before one started); an undo whose process is gone is settled first."""
    key = f"undo-{job.id}"
    try:
        state = files.read_state(key, UNDO_STATE)
    except UnknownUpload:
        state = None
    if job.undone_at is not None:  # committed: whatever the state file says (or if it is gone)
        return {"status": "done", "result": json.loads(job.undo_result or "{}")}
    if not state or state.get("status") != "running" or state.get("queued"):
        return state  # not started, over, or waiting for a worker
    lock = files.lock(key, UNDO_LOCK)
    if lock is None:
        return state  # alive
    with lock:
        db.session.rollback()  # read the row anew: the undo may have committed just before it let go
        job = db.session.get(ImportJob, job.id)
        if job.undone_at is not None:
            return {"status": "done", "result": json.loads(job.undo_result or "{}")}
        state = {**state, "status": "failed", "message": UNDO_INTERRUPTED}
        files.write_state(key, UNDO_STATE, state)
    return state
