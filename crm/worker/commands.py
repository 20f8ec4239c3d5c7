"""`flask --app crm web`, `worker`, `serve` and `refresh-insights`, `load-gazetteer`: running crm for real.

`web` serves with gunicorn, `worker` runs the task queue and the scheduled jobs, `serve` runs both in the
foreground (`make run`; `--dev` swaps gunicorn for Flask's reloader, `make dev`).
"""

from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..customers import jobs as bulk_jobs
from ..extensions import db
from ..imports import jobs as import_jobs
from ..imports.files import ImportFiles
from ..models import utcnow
from ..services import gazetteer
from . import jobs, queue, supervise
from .consumer import Worker

MAX_WORKERS = 4  # more processes than this only add memory on the machines crm is meant for
THREADS = 4
WORKER_THREADS = 2  # a long import never holds up the scheduled jobs


def _memory_gb() -> int:
    """The machine's memory in whole GB (at least 1)."""
    try:
        return max(1, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 1024**3)
    except (ValueError, OSError):
        return 1


def sizes(config: dict) -> tuple[int, int]:
    """gunicorn's processes and threads: WORKERS and THREADS, else one process per CPU and per GB of memory
    (each holds the app, about 90 MB), 1 to 4, of 4 threads each."""
    default = max(1, min(os.cpu_count() or 1, _memory_gb(), MAX_WORKERS))
    return int(config.get("WORKERS") or default), int(config.get("THREADS") or THREADS)


def _bind(config: dict) -> str:
    """HOST:PORT from CRM_HOST and CRM_PORT (127.0.0.1:5000 unless set)."""
    return f"{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5000}"


@click.command("web")
@with_appcontext
def web() -> None:
    """Serve the dashboard with gunicorn on CRM_HOST:CRM_PORT (CRM_WORKERS processes of CRM_THREADS threads)."""
    import gunicorn

    workers, threads = sizes(current_app.config)
    # gunicorn replaces this process: its master holds no app (each worker builds its own, with its own
    # connections), so it costs a few MB. No control socket: its one default path in $HOME would be
    # shared by every crm on the machine.
    quiet = ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", _bind(current_app.config),
                              "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
                              "--name", "crm-web", *quiet, "crm:create_app(commands=False)"])


def _import_files() -> ImportFiles:
    """Where the import pages keep uploads (IMPORT_DIR, else the instance folder's imports/)."""
    return ImportFiles(current_app.config.get("IMPORT_DIR") or os.path.join(current_app.instance_path, "imports"))


def _settle_imports(app) -> None:
    """Fail the imports and bulk actions a stopped worker left running; queue again those whose task it had
    already taken."""
    files = _import_files()
    import_jobs.recover(files)
    waiting = {args[3] for args in queue.pending_args(app) if len(args) == 4}
    import_jobs.requeue_lost(app, files, waiting)
    bulk_jobs.recover(app, {args[0] for args in queue.pending_args(app) if len(args) == 1})


@click.command("worker")
@click.option("--threads", type=click.IntRange(1, 16), default=None,
              help=f"Tasks run at once (default: CRM_WORKER_THREADS, else {WORKER_THREADS}).")
@with_appcontext
def worker(threads: int | None) -> None:
    """Run the task worker: imports and dry runs, and the scheduled jobs (Insights' months, purge, backup)."""
    app = current_app._get_current_object()
    threads = threads or int(app.config.get("WORKER_THREADS") or WORKER_THREADS)
    consumer = Worker(app, queue.huey(app), threads)
    consumer.beat()  # seen as running from the start, before the start-up work
    _settle_imports(app)
    jobs.start_up()
    db.session.remove()
    consumer.run()


@click.command("serve")
@click.option("--dev", is_flag=True, help="Flask's development server with its reloader instead of gunicorn.")
@with_appcontext
def serve(dev: bool) -> None:
    """Run the web server and the task worker in the foreground until Ctrl-C (which stops both)."""
    flask = [sys.executable, "-m", "flask", "--app", "crm"]
    host, port = _bind(current_app.config).rsplit(":", 1)
    web_command = [*flask, "run", "--debug", "--host", host, "--port", port] if dev else [*flask, "web"]
    commands = {"web server": web_command, "task worker": [*flask, "worker"]}
    os.execv(sys.executable, [sys.executable, supervise.__file__, json.dumps(commands)])


@click.command("refresh-insights")
@with_appcontext
def refresh_insights() -> None:
    """Count Insights' months that are over and keep them now (the worker does it after midnight)."""
    click.echo(jobs.run(jobs.BY_NAME["insights"], None, utcnow()))


@click.command("load-gazetteer")
@with_appcontext
def load_gazetteer() -> None:
    """Load the bundled localities for street suggestions, if the database holds another version (the worker
    does it when it starts)."""
    loaded = gazetteer.ensure_loaded()
    click.echo("Loaded the bundled localities." if loaded else "The bundled localities were already loaded.")
