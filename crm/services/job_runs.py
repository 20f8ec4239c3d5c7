"""The task worker's traces in the database: each worker's heartbeat, and each scheduled job's last run.

Settings shows them and /healthz judges them. A scheduled job runs at most once per day of the shop's
calendar: `claim` starts a run only when none started since that day's local midnight, in one conditional
UPDATE, so two workers sharing a broker (or a worker and a cron line) never both run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from ..extensions import db, insert_or_ignore
from ..models import JobRun, WorkerBeat, utcnow

SILENT_AFTER = timedelta(minutes=5)  # a worker that hasn't beaten for this long counts as gone
BEAT_EVERY = 30  # seconds between heartbeats
FORGET_BEATS_AFTER = timedelta(days=1)  # rows of worker processes long gone (each start has a new id)


@dataclass(frozen=True)
class WorkerStatus:
    """What is known of the task workers: the newest heartbeat (None: never seen) and whether it is recent."""

    last_beat: datetime | None
    alive: bool

    @property
    def state(self) -> str:
        """"running", "silent" (it beat once, not lately) or "never" (no worker has run on this database)."""
        if self.alive:
            return "running"
        return "silent" if self.last_beat else "never"


def beat(worker: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that this worker process is alive now (the caller commits)."""
    now = now or utcnow()
    row = db.session.get(WorkerBeat, worker)
    if row is None:
        db.session.add(WorkerBeat(worker=worker, started_at=started_at, seen_at=now))
        db.session.execute(delete(WorkerBeat).where(WorkerBeat.seen_at < now - FORGET_BEATS_AFTER))
    else:
        row.seen_at = now
    db.session.flush()


def worker_status(now: datetime | None = None) -> WorkerStatus:
    """The newest heartbeat of any worker, and whether it is younger than SILENT_AFTER."""
    now = now or utcnow()
    last = db.session.scalar(select(func.max(WorkerBeat.seen_at)))  # max() keeps the column's type: aware UTC
    return WorkerStatus(last, last is not None and now - last <= SILENT_AFTER)


def claim(name: str, since: datetime | None, now: datetime | None = None) -> bool:
    """Mark the job `name` as started now, unless a run started at or after `since`; True when it may run.

    `since=None` starts it whatever ran before (a command run by hand). The caller commits.
    """
    now = now or utcnow()
    db.session.execute(insert_or_ignore(JobRun.__table__).values(name=name, detail=""))
    condition = [] if since is None else [or_(JobRun.started_at.is_(None), JobRun.started_at < since)]
    claimed = db.session.execute(
        update(JobRun).where(JobRun.name == name, *condition)
        .values(started_at=now, finished_at=None, outcome="running", detail="")
        .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def finish(name: str, ok: bool, detail: str, now: datetime | None = None) -> None:
    """Record how the job's run ended: what it did, or why it failed (the caller commits)."""
    db.session.execute(
        update(JobRun).where(JobRun.name == name)
        .values(finished_at=now or utcnow(), outcome="ok" if ok else "failed", detail=detail[:2000])
        .execution_options(synchronize_session=False))


def last_runs() -> dict[str, JobRun]:
    """Every job's last run, by job name."""
    return {run.name: run for run in db.session.scalars(select(JobRun))}
