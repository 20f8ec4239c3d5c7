"""Bulk actions on more customers than a request should change, run on the task worker (crm.worker).

The request writes a bulk_job row ("queued") and queues its id; the worker marks it running, then does the
action in one transaction that also marks it done with its counts, so a job is either done with everything
or changed nothing. While it runs the worker holds a lock file (flock, let go by the kernel however the
process ends) and writes its progress beside it for the progress page: a "running" row whose lock is free
belongs to a worker that died: the progress page says so (a GET writes nothing), and the next worker to start
records it as failed with the reason and queues again the queued jobs whose task a killed worker had taken
(`recover`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, inspect, select

from ..extensions import db
from ..imports import begin_write
from ..imports.files import JobLock
from ..models import BulkJob, User, utcnow
from ..services import bulk
from ..services.shop import get_settings
from ..worker import queue
from .checks import english

log = logging.getLogger(__name__)

# Why a job changed nothing: stored on its row in English (the worker writes most of them); the progress page
# shows them in the reader's language (gettext finds the English text in the catalogue).
QUEUE_DOWN = english(_l("The task queue could not be reached, so nothing was changed (the error has been logged). "
                        "Try again in a minute."))
FAILED = english(_l("Nothing was changed: something went wrong (the error has been logged). Try again."))
INTERRUPTED = english(_l("Nothing was changed: the action stopped before it finished, because the server was stopped "
                         "or restarted while it ran. Try again."))


KEPT_FOR = timedelta(days=30)  # how long a finished job's row stays (the purge job removes it then)


def queue_over(app: Flask) -> int:
    """Selections bigger than this run on the task worker (BULK_QUEUE_OVER, 1,000 by default)."""
    return int(app.config.get("BULK_QUEUE_OVER") or 1000)


def _folder(app: Flask) -> Path:
    """Where running jobs keep their locks and progress: BULK_DIR, else the instance folder's bulk/."""
    folder = Path(app.config.get("BULK_DIR") or os.path.join(app.instance_path, "bulk"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _lock(app: Flask, job_id: int) -> JobLock | None:
    """Take the job's lock without waiting; None while a worker holds it."""
    fd = os.open(_folder(app) / f"{int(job_id)}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return JobLock(fd)


def progress(app: Flask, job_id: int) -> int:
    """How far a running job is, in percent (0 until it says)."""
    try:
        return int(json.loads((_folder(app) / f"{int(job_id)}.json").read_text())["percent"])
    except (OSError, ValueError, KeyError):
        return 0


def _reporter(app: Flask, job_id: int):
    """A progress callback that writes the percentage (to a temporary name, then renamed into place)."""
    path = _folder(app) / f"{int(job_id)}.json"

    def report(done: int, total: int) -> None:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_text(json.dumps({"percent": min(99, 100 * done // max(total, 1))}))
        os.replace(tmp, path)

    return report


def selection_of(job: BulkJob) -> bulk.Selection:
    """The selection the job was queued with."""
    stored = json.loads(job.selection or "{}")
    return bulk.Selection(tuple(stored.get("ids", ())), stored.get("list", ""), bool(stored.get("everything")))


def start(app: Flask, action: bulk.Action, selection: bulk.Selection, user: User, total: int,
          tag_name: str = "") -> BulkJob:
    """Write the job's row and queue it; a queue that can't be reached fails it at once, saying so."""
    stored = {"ids": list(selection.ids), "list": selection.list_args, "everything": selection.everything}
    job = BulkJob(action=action.key, tag=tag_name or None, selection=json.dumps(stored), total=total, user=user,
                  status="queued")
    db.session.add(job)
    db.session.commit()
    try:
        queue.enqueue(app, "bulk", job.id)
    except Exception:
        log.exception("Queueing bulk job %s failed", job.id)
        job.status, job.message, job.finished_at = "failed", QUEUE_DOWN, utcnow()
        db.session.commit()
    return job


def run_queued(job_id: int) -> None:
    """The task the worker runs: the queued job, unless another worker has it or it ran already."""
    app = current_app._get_current_object()
    lock = _lock(app, job_id)
    if lock is None:
        return
    with lock:
        job = db.session.get(BulkJob, job_id)
        if job is None or job.status != "queued":
            return
        job.status = "running"
        db.session.commit()
        _run(app, job_id)
        _clear(app, job_id)


def _clear(app: Flask, job_id: int) -> None:
    """Remove a finished job's files. Safe under its lock: once the row says done or failed, nobody asks the
    lock whether it is running."""
    for suffix in (".json", ".lock"):
        (_folder(app) / f"{int(job_id)}{suffix}").unlink(missing_ok=True)


def _run(app: Flask, job_id: int) -> None:
    """Do the job in one transaction that also marks it done; on any error roll back and fail it."""
    try:
        begin_write()
        job = db.session.get(BulkJob, job_id)
        outcome = bulk.run(bulk.BY_KEY[job.action], selection_of(job), job.user, get_settings().country,
                           tag_name=job.tag or "", progress=_reporter(app, job_id))
        job.status, job.changed, job.skipped, job.finished_at = "done", outcome.changed, outcome.skipped, utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Bulk job %s failed; rolled back", job_id)
        _fail(job_id, FAILED)


def _fail(job_id: int, message: str) -> None:
    """Record that the job changed nothing, and why."""
    job = db.session.get(BulkJob, job_id)
    job.status, job.message, job.finished_at = "failed", message, utcnow()
    db.session.commit()


def status(app: Flask, job: BulkJob) -> str:
    """The job's status as the progress page says it: "interrupted" for one left running by a worker that is
    gone (its lock is free; the next worker to start records it as failed), else its row's status."""
    if job.status != "running":
        return job.status
    lock = _lock(app, job.id)
    if lock is None:
        return "running"  # its worker is at it
    with lock:
        db.session.refresh(job)  # it may have committed just before letting go
        return "interrupted" if job.status == "running" else job.status


def _settle(app: Flask, job: BulkJob) -> None:
    """Record a job whose worker is gone as failed (nothing it did was committed)."""
    if status(app, job) == "interrupted":
        log.warning("Bulk job %s stopped before it finished (its process is gone): recorded as failed", job.id)
        _fail(job.id, INTERRUPTED)


def prune(now: datetime | None = None) -> int:
    """Delete the jobs that finished (done or failed) over KEPT_FOR ago: nobody opens their progress page any
    more, and the trail keeps what each did to each customer. Returns how many (the caller commits); none on
    a database a downgrade left without bulk_job (`flask --app crm purge` empties the bin before going back
    past 0012)."""
    if not inspect(db.session.connection()).has_table("bulk_job"):
        return 0
    finished = BulkJob.status.in_(("done", "failed")) & (BulkJob.finished_at < (now or utcnow()) - KEPT_FOR)
    return db.session.execute(delete(BulkJob).where(finished)).rowcount


def recover(app: Flask, pending: set[int]) -> None:
    """When a worker starts: fail the jobs a stopped worker left running, and queue again the queued ones
    whose task is no longer in the queue (`pending`: the job ids waiting there)."""
    for job in db.session.scalars(select(BulkJob).where(BulkJob.status.in_(("queued", "running")))).all():
        if job.status == "running":
            _settle(app, job)
        elif job.id not in pending:
            queue.enqueue(app, "bulk", job.id)
