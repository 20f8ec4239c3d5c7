"""What /healthz answers: whether the database answers and the task worker has beaten lately."""

from __future__ import annotations

import logging

from ..extensions import db
from ..services import job_runs

log = logging.getLogger(__name__)


def health() -> tuple[dict, int]:
    """{"status", "database", "worker"} and 200 when both are fine, 503 when either is not."""
    try:
        worker = job_runs.worker_status()
    except Exception:
        db.session.rollback()
        log.warning("Health check: the database did not answer", exc_info=True)
        return {"status": "unavailable", "database": "unreachable", "worker": "unknown"}, 503
    if worker.alive:
        return {"status": "ok", "database": "ok", "worker": "ok"}, 200
    said = (f"silent since {worker.last_beat.isoformat(timespec='seconds')}" if worker.last_beat
            else "never seen")
    return {"status": "unavailable", "database": "ok", "worker": said}, 503
