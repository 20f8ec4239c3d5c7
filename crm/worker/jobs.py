"""The scheduled jobs the task worker runs once a day in the shop's time zone, its start-up work and heartbeat.

Every five minutes the worker looks for jobs that are due (`run_due`): a job is due once its hour of the
shop's day has come and it has not started since that day's local midnight. Its start, end and outcome go to
job_run (crm.services.job_runs), which Settings shows. Each job is also a command that does the same work at
once: `flask --app crm refresh-insights`, `purge`, `backup`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect

from ..customers import jobs as bulk_jobs
from ..extensions import db
from ..models import utcnow
from ..services import backups, deleted, follow, gazetteer, insights, job_runs
from ..services.shop import get_settings, zone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job run once a day: its name in job_run, its label on Settings (translated when shown), the local hour
    it waits for."""

    name: str
    label: str
    hour: int
    work: Callable[[datetime], str]  # does the work at this time; says what it did (the caller commits)
    enabled: Callable[[dict], bool] = lambda config: True


def refresh_insights(now: datetime) -> str:
    """Count Insights' months that are over and keep them, in the shop's time zone."""
    counted = insights.refresh_months(now, zone(get_settings().timezone))
    return f"Counted {counted} months."


def purge(now: datetime, *, everything: bool = False) -> str:
    """Remove the customers deleted 30 days ago (all of them with `everything`), follow codes over 90 days
    old and the records of bulk actions finished over 30 days ago, each by its own service's clock."""
    names = deleted.purge(everything=everything)
    codes = follow.prune_codes()
    actions = bulk_jobs.prune()
    if names:
        said = f"Removed {len(names)} customer{'s' * (len(names) != 1)} for good from Recently deleted"
    else:
        said = "Nothing to remove: no customer has been in Recently deleted for 30 days"
    return (f"{said}; {codes} follow code{'s' * (codes != 1)} older than 90 days deleted; "
            f"{actions} bulk action record{'s' * (actions != 1)} finished over 30 days ago deleted.")


def backup(now: datetime) -> str:
    """Back the database up into the backup folder, keeping the newest BACKUP_KEEP."""
    made, pruned = backups.make(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return f"Wrote {made.path.name}" + (f", deleted {len(pruned)} older." if pruned else ".")


JOBS = (
    Job("insights", _l("Refresh Insights' months"), 0, refresh_insights),
    Job("purge", _l("Purge Recently deleted, old follow codes and bulk actions"), 1, purge),
    Job("backup", _l("Nightly backup"), 3, backup, enabled=lambda config: bool(config.get("NIGHTLY_BACKUP"))),
)
BY_NAME = {job.name: job for job in JOBS}


def failure(exc: Exception) -> str:
    """What Settings says about a failed run: a backup's own message, else the kind of error (the log has it)."""
    if isinstance(exc, backups.BackupError):
        return str(exc)
    return f"{type(exc).__name__} (the error is in the worker's log)."


def run(job: Job, since: datetime | None, now: datetime, work: Callable[[datetime], str] | None = None) -> str | None:
    """Run the job unless a run started at or after `since` (None: run it anyway); its outcome goes to job_run.

    Returns what it did, or None when it wasn't run. A failure is recorded, logged and raised again. On a
    database that a downgrade left without job_run, a command still does the work, unrecorded.
    """
    recorded = inspect(db.session.connection()).has_table("job_run")
    if recorded and not job_runs.claim(job.name, since, now):
        db.session.rollback()
        return None
    db.session.commit()
    try:
        detail = (work or job.work)(now)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("The scheduled job %s failed", job.name)
        if recorded:
            job_runs.finish(job.name, False, failure(exc))
            db.session.commit()
        raise
    if recorded:
        job_runs.finish(job.name, True, detail)
        db.session.commit()
    log.info("The scheduled job %s: %s", job.name, detail)
    return detail


def local_midnight(now: datetime, shop_zone) -> datetime:
    """The start of today in the shop's time zone, in UTC."""
    local = now.astimezone(shop_zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def run_due(now: datetime | None = None) -> list[str]:
    """Run every enabled job whose hour of the shop's day has come and that hasn't run since its midnight;
    return the names of those run. One failing job doesn't keep the others from running."""
    now = now or utcnow()
    shop_zone = zone(get_settings().timezone)
    since = local_midnight(now, shop_zone)
    db.session.rollback()  # end the read of the settings: each job runs in transactions of its own
    ran = []
    for job in JOBS:
        if not job.enabled(current_app.config) or now.astimezone(shop_zone).hour < job.hour:
            continue
        try:
            if run(job, since, now) is not None:
                ran.append(job.name)
        except Exception:
            continue  # recorded and logged by run()
    return ran


def start_up() -> None:
    """What a worker does before taking tasks: load the gazetteer if the file changed, fill Insights' months."""
    try:
        gazetteer.ensure_loaded()
    except Exception:
        log.exception("The bundled gazetteer could not be loaded")
    try:
        run(BY_NAME["insights"], None, utcnow())
    except Exception:
        pass  # recorded and logged by run(); the nightly run tries again


def beat(worker: str, started_at: datetime) -> None:
    """Write this worker's heartbeat; a busy database only delays it to the next one (logged)."""
    try:
        job_runs.beat(worker, started_at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("The worker's heartbeat could not be written", exc_info=True)
