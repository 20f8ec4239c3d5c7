"""The import_job table's other rows and readers: a failed attempt noted once, the recent imports, and the
finished import of an upload (a finished import's row is written by `writing.write`, in its transaction).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import ImportJob, User, utcnow
from ..services import audit


def record_failure(user: User | None, *, token: str, filename: str, rows: int, error: str,
                   started_at: datetime) -> ImportJob:
    """Note a failed import once (in a transaction of its own, after the import's was rolled back).

    An attempt is its upload's token and start time: noting the same attempt again returns the row noted
    before, so an interrupted import found by two processes (or found again after a crash) is one row.
    """
    job = db.session.scalars(select(ImportJob).where(
        ImportJob.token == token, ImportJob.status == "failed", ImportJob.started_at == started_at)).first()
    if job is not None:
        return job
    job = ImportJob(token=token, user=user, actor=audit.actor_name(user), filename=filename[:255],
                    status="failed", total_rows=rows, error=error, started_at=started_at, finished_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def recent_jobs(limit: int = 10) -> list[ImportJob]:
    """The latest imports, newest first."""
    return list(db.session.scalars(select(ImportJob).order_by(ImportJob.started_at.desc(), ImportJob.id.desc())
                                   .limit(limit)))


def done_job(token: str) -> ImportJob | None:
    """The import of an upload that finished (an upload is imported at most once)."""
    return db.session.scalars(select(ImportJob).where(ImportJob.token == token, ImportJob.status == "done")).first()
