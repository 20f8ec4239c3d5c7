"""The task worker as a real process: imports and dry runs through the SQLite queue, a worker killed mid-import
and started again, a job its killed worker had taken, and `flask serve` stopped by one Ctrl-C."""

import os
import select as select_module
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.imports import ImportFiles, jobs
from crm.models import JobRun, User
from crm.worker import queue

from .html import parse
from .mailserver import free_port
from .test_import_pages import MAPPING, args, count_customers, import_jobs, text_of, uploaded

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60  # seconds a worker gets to do what the test waits for


def worker_env(app, **extra) -> dict:
    """The environment of a worker process on the test app's database, uploads and queue."""
    config = app.config
    queue_at = {"CRM_REDIS_URL": config["REDIS_URL"]} if config.get("REDIS_URL") else {}
    return {**os.environ, "PYTHONPATH": str(ROOT), "CRM_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "CRM_SECRET_KEY": "test", "CRM_IMPORT_DIR": config["IMPORT_DIR"], "CRM_QUEUE_FILE": config["QUEUE_FILE"],
            **queue_at, **extra}


# A worker whose imports stall while saving (it says "saving" first), so the test can kill it mid-import.
STALLING_WORKER = """
import sys
from flask.cli import main
from crm.imports import jobs


def stall(*args, **kwargs):
    print("saving", flush=True)
    sys.stdin.read()


jobs.imports.write = stall
sys.argv = ["flask", "--app", "crm", "worker"]
main()
"""


@pytest.fixture
def workers(app):
    """Start worker processes (`flask --app crm worker`, or one that stalls while saving); all killed at the end."""
    started: list[subprocess.Popen] = []

    def start(stalling: bool = False) -> subprocess.Popen:
        command = [sys.executable, "-c", STALLING_WORKER] if stalling else \
            [sys.executable, "-m", "flask", "--app", "crm", "worker"]
        process = subprocess.Popen(command, cwd=ROOT, env=worker_env(app), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()


def wait_until(condition, what: str, timeout: float = WAIT):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        time.sleep(0.1)


def page(client, url: str, **query) -> str:
    """The htmx partial at `url`, as the page's polling asks for it."""
    return client.get(url, query_string=query, headers={"HX-Request": "true"}).get_data(as_text=True)


def test_a_worker_checks_and_imports_through_the_queue(logged_in, app, workers):
    workers()
    token = uploaded(logged_in)
    preview = f"/customers/import/{token}"
    wait_until(lambda: "To create" in page(logged_in, preview, **args(MAPPING)), "the dry run")
    assert "To create 2" in text_of(page(logged_in, preview, **args(MAPPING)))
    assert logged_in.post(f"{preview}/import", data=args(MAPPING)).status_code == 303
    html = wait_until(lambda: (lambda html: "Import finished" in html and html)(page(logged_in, f"{preview}/progress")),
                      "the import")
    assert "Imported: 2 created, 0 updated, 0 skipped" in text_of(html)
    assert count_customers(app) == 2


def test_a_queued_import_waits_for_the_worker_and_is_never_taken_for_dead(logged_in, app):
    token = uploaded(logged_in)
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert parse(html).by_role("progressbar", "Import progress")["aria-valuenow"] == "0"
    assert "Import failed" not in html
    state = ImportFiles(app.config["IMPORT_DIR"]).read_state(token, jobs.IMPORT_STATE)
    assert state["status"] == "running" and state["queued"]
    # A second click while it waits starts nothing more.
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    assert [a[3] for a in queue.pending_args(app)] == [state["queued"]]
    assert import_jobs(app) == []


def said(process, line: str, within: float = WAIT) -> bool:
    """Whether the process prints `line` on a line of its own within `within` seconds (its log lines aside)."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select_module.select([process.stdout], [], [], left)
        if not ready:
            return False
        printed = process.stdout.readline()
        if printed == "":
            return False  # it exited
        if printed == line + "\n":
            return True
    return False


def test_a_worker_killed_mid_import_and_started_again_fails_it_with_the_reason(logged_in, app, workers):
    stalling = workers(stalling=True)
    token = uploaded(logged_in)
    wait_until(lambda: "To create" in page(logged_in, f"/customers/import/{token}", **args(MAPPING)), "the dry run")
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    assert said(stalling, "saving")
    assert "Saving customers" in page(logged_in, f"/customers/import/{token}/progress")
    os.kill(stalling.pid, signal.SIGKILL)
    stalling.wait()
    files = ImportFiles(app.config["IMPORT_DIR"])
    workers()  # the restarted worker records it before taking new tasks
    wait_until(lambda: (files.read_state(token, jobs.IMPORT_STATE) or {}).get("recorded"), "the failure's record")
    state = files.read_state(token, jobs.IMPORT_STATE)
    assert (state["status"], state["message"]) == ("failed", jobs.INTERRUPTED)
    assert import_jobs(app) == [("failed", jobs.INTERRUPTED, "owner@shop.test", "customers.csv", 4)]
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.INTERRUPTED in html
    assert count_customers(app) == 0


def test_a_job_taken_by_a_worker_that_died_is_queued_again_and_runs(logged_in, app, workers):
    token = uploaded(logged_in)
    files = ImportFiles(app.config["IMPORT_DIR"])
    with app.app_context():
        owner_id = db.session.scalars(select(User.id)).one()
    # As a worker leaves it when killed after taking the task from the queue, before it could lock the job.
    files.write_state(token, jobs.IMPORT_STATE, {
        "status": "running", "phase": "checking", "percent": 0, "mapping": MAPPING, "user_id": owner_id,
        "started_at": "2026-12-01T00:00:00+00:00", "queued": "gone"})
    assert "Import failed" not in logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    workers()
    html = wait_until(lambda: (lambda html: "Import finished" in html and html)(
        page(logged_in, f"/customers/import/{token}/progress")), "the queued-again import")
    assert "Imported: 2 created" in text_of(html)
    assert count_customers(app) == 2


def test_a_queue_that_cannot_be_reached_says_so(logged_in, app, monkeypatch):
    def down(*args):
        raise ConnectionError("no broker")

    monkeypatch.setattr(queue, "enqueue", down)
    token = uploaded(logged_in)
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.QUEUE_DOWN in html
    assert [row[:2] for row in import_jobs(app)] == [("failed", jobs.QUEUE_DOWN)]


def test_a_starting_worker_beats_and_fills_insights(app, workers, client):
    workers()
    wait_until(lambda: client.get("/healthz").status_code == 200, "the worker's heartbeat")
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "worker": "ok"}

    def insights_run():
        with app.app_context():
            run = db.session.get(JobRun, "insights")
            return run is not None and run.outcome == "ok" and run.detail

    assert wait_until(insights_run, "the start-up refresh of Insights") == "Counted 11 months."


def test_serve_runs_both_and_one_ctrl_c_stops_both(app):
    port = free_port()
    env = worker_env(app, CRM_PORT=str(port), CRM_WORKERS="1", CRM_THREADS="2")
    serve = subprocess.Popen([sys.executable, "-m", "flask", "--app", "crm", "serve"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        pids = {}
        while len(pids) < 2:
            ready, _, _ = select_module.select([serve.stderr], [], [], WAIT)
            assert ready, "serve said nothing"
            line = serve.stderr.readline()
            assert line, "serve stopped"
            if line.startswith("crm: started the "):
                name, pid = line.removeprefix("crm: started the ").rsplit(" (pid ", 1)
                pids[name] = int(pid.rstrip(")\n"))
        assert set(pids) == {"web server", "task worker"}

        def answers() -> int:
            import http.client

            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                return conn.getresponse().status
            except OSError:
                return 0

        wait_until(lambda: answers() == 200, "the page and the worker")  # served by gunicorn, worker beating
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=WAIT) == 0
        for pid in pids.values():
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"process {pid} still runs"
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        serve.stderr.close()


def _zombie(pid: int) -> bool:
    """Whether a process has ended and only waits to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def test_serve_stops_the_other_child_when_one_dies_and_says_so(capfd):
    from crm.worker.supervise import supervise

    sleeper = [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(120)"]
    dying = [sys.executable, "-c", "import time; time.sleep(2); raise SystemExit(3)"]
    started = time.monotonic()
    assert supervise({"web server": sleeper, "task worker": dying}) == 1
    assert time.monotonic() - started < 30
    out, err = capfd.readouterr()
    assert "crm: the task worker stopped (exit status 3); stopping the rest" in err
    assert not Path(f"/proc/{int(out.split()[0])}").exists() or _zombie(int(out.split()[0]))
