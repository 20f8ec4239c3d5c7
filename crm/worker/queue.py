"""The task queue: Huey, storing its queue in SQLite in the instance folder, or in Redis when REDIS_URL is set.

SQLite needs no server and is enough for one machine; Redis lets web servers and workers on several
machines share one queue. The queue holds only what to run (a few ids per task): what a job did is in the
shop's database and the import's state files. Each app builds its queue on first use, so commands that never
queue anything (`flask db upgrade`) never open it.
"""

from __future__ import annotations

import functools
import os
import threading

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

from ..extensions import db

EXTENSION = "crm.queue"
TASKS = "crm.queue.tasks"  # app.extensions key: the tasks that can be queued, by name
TICK = crontab(minute="*/5")  # how often the worker looks for scheduled jobs that are due
_build_lock = threading.Lock()


def huey(app: Flask) -> Huey:
    """The app's queue with every task registered on it, built on first use."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        with _build_lock:
            found = app.extensions.get(EXTENSION)
            if found is None:
                found = app.extensions[EXTENSION] = _build(app)
    return found


def _storage(app: Flask) -> Huey:
    """Redis when configured, else a SQLite file (QUEUE_FILE, or the instance folder's queue.sqlite)."""
    if app.config.get("REDIS_URL"):
        return RedisHuey("crm", url=app.config["REDIS_URL"], results=False)
    path = app.config.get("QUEUE_FILE") or os.path.join(app.instance_path, "queue.sqlite")
    return SqliteHuey("crm", filename=path, results=False)


def _build(app: Flask) -> Huey:
    """The queue, with the import's task and the scheduled jobs' tick registered, each run in an app context."""
    from ..customers import jobs as bulk_jobs  # they queue through this module
    from ..imports import jobs as import_jobs
    from . import jobs as scheduled

    queue = _storage(app)
    app.extensions[TASKS] = {"import": queue.task(name="import")(in_app_context(app, import_jobs.run_queued)),
                             "bulk": queue.task(name="bulk")(in_app_context(app, bulk_jobs.run_queued))}
    queue.periodic_task(TICK, name="scheduled-jobs")(in_app_context(app, scheduled.run_due))
    return queue


def in_app_context(app: Flask, work):
    """`work` run in an app context (and so a database session) of its own, closed when it ends."""

    @functools.wraps(work)
    def run(*args, **kwargs):
        with app.app_context():
            try:
                return work(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def enqueue(app: Flask, name: str, *args) -> None:
    """Queue the task `name` ("import": a dry run, an import or an undo, crm.imports.jobs.run_queued; "bulk": an
    action on many customers, crm.customers.jobs.run_queued) with `args`."""
    huey(app)
    app.extensions[TASKS][name](*args)


def pending_args(app: Flask) -> list[tuple]:
    """The arguments of every task waiting in the queue."""
    return [tuple(task.args) for task in huey(app).pending()]
