"""Bulk actions over the queue's threshold: queued as a bulk_job for the task worker, with a progress page;
done in one transaction with its counts, or failed having changed nothing (an error, a queue that can't be
reached, a worker that died), and a real worker process taking an action on more than 1,000 customers."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from werkzeug.datastructures import MultiDict

from crm.customers import jobs
from crm.extensions import db
from crm.models import AuditEvent, BulkJob, Customer, DeletedCustomer
from crm.services import bulk
from crm.services.customers import name_key_for
from crm.worker import queue

from . import factories
from .html import page
from .test_bulk_actions import confirmed, events, five_customers
from .test_worker import ROOT, wait_until, worker_env


@pytest.fixture
def shop(app):
    """Five customers, three of them prospects (tests/test_bulk_actions.py)."""
    return five_customers(app)


@pytest.fixture
def small_queue(app):
    """Selections over 2 customers go to the queue."""
    app.config["BULK_QUEUE_OVER"] = 2


ALL_PROSPECTS = MultiDict([("list", "segment=prospect"), ("all", "1")])


def job_page(client, job_id: int, htmx: bool = False):
    """The progress page (or, for htmx, the partial its polling asks for)."""
    return client.get(f"/customers/bulk/jobs/{job_id}", headers={"HX-Request": "true"} if htmx else {})


def test_a_big_selection_is_queued_with_a_progress_page_and_done_by_the_worker(logged_in, app, shop, small_queue):
    response = logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    assert response.status_code == 303
    with app.app_context():
        job = db.session.scalars(select(BulkJob)).one()
        assert (job.action, job.status, job.total) == ("delete", "queued", 3)
        assert queue.pending_args(app) == [(job.id,)]
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 0
    assert response.headers["Location"] == f"/customers/bulk/jobs/{job.id}"
    html = page(job_page(logged_in, job.id))
    assert html.heading("Delete: 3 customers")
    assert html.by_role("progressbar", "Bulk action progress")["aria-valuenow"] == "0"
    assert "Waiting for the task worker" in html.text
    partial = job_page(logged_in, job.id, htmx=True).get_data(as_text=True)
    assert "<html" not in partial and 'hx-trigger="every 500ms"' in partial
    with app.app_context():
        jobs.run_queued(job.id)  # what the worker's task does
        db.session.remove()
    html = page(job_page(logged_in, job.id))
    assert html.heading("Done")
    assert html.by_role("progressbar", "Bulk action progress")["aria-valuenow"] == "100"
    assert html.by_id("bulk-job").by_role("status").text == ("Deleted 3 customers. They are in Recently deleted for "
                                                             "30 days.")
    assert html.link("Back to the customer list")["href"] == "/customers?segment=prospect"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 3
        assert events("bulk")[0].detail == ("Delete: 3 customers changed, 0 skipped; all matching the list "
                                            "segment=prospect")
        job = db.session.get(BulkJob, job.id)
        assert (job.status, job.changed, job.skipped) == ("done", 3, 0)
        assert list(Path(app.config["BULK_DIR"]).iterdir()) == []  # its lock and progress files are gone
        jobs.run_queued(job.id)  # a second copy of the task does nothing
        assert len(events("bulk")) == 1


def test_a_delete_job_reports_its_progress_as_it_goes(logged_in, app, shop, small_queue, monkeypatch):
    monkeypatch.setattr(bulk, "DELETE_BATCH", 1)
    seen = []
    report = jobs._reporter

    def watched(app, job_id):
        write = report(app, job_id)
        return lambda done, total: (write(done, total), seen.append(jobs.progress(app, job_id)))

    monkeypatch.setattr(jobs, "_reporter", watched)
    logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    with app.app_context():
        job_id = db.session.scalars(select(BulkJob.id)).one()
        jobs.run_queued(job_id)
        db.session.remove()
        assert seen == [33, 66, 99]  # never 100 before it is done
        job = db.session.get(BulkJob, job_id)
        assert (job.status, job.changed) == ("done", 3)


def test_a_job_that_fails_changes_nothing_and_says_so(logged_in, app, shop, small_queue, monkeypatch):
    logged_in.post("/customers/bulk/unsubscribe", data=confirmed(MultiDict([("list", ""), ("all", "1")])))
    original = bulk.unsubscribe

    def write_then_fail(ids, user):
        original(ids, user)
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "unsubscribe", write_then_fail)
    with app.app_context():
        job_id = db.session.scalars(select(BulkJob.id)).one()
        jobs.run_queued(job_id)
        db.session.remove()
        assert db.session.scalar(select(func.count()).where(Customer.email_marketing.is_(True))) == 3
        assert events("edit") == [] and events("bulk") == []
    html = page(job_page(logged_in, job_id))
    assert html.heading("Nothing was changed")
    assert html.by_role("alert").text == jobs.FAILED


def test_a_job_whose_worker_died_says_so_and_the_next_worker_records_it(logged_in, app, shop, small_queue):
    logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    with app.app_context():
        job = db.session.scalars(select(BulkJob)).one()
        job.status = "running"  # taken, then the process was killed: its lock is free
        db.session.commit()
        job_id = job.id
    html = page(job_page(logged_in, job_id))
    assert html.heading("Nothing was changed") and html.by_role("alert").text == jobs.INTERRUPTED
    with app.app_context():
        assert db.session.get(BulkJob, job_id).status == "running"  # the page only looked
        jobs.recover(app, set())  # a worker starts
        job = db.session.get(BulkJob, job_id)
        assert (job.status, job.message) == ("failed", jobs.INTERRUPTED)
        jobs.run_queued(job_id)  # its task, run late, does nothing
        assert db.session.scalar(select(func.count()).select_from(DeletedCustomer)) == 0
    assert page(job_page(logged_in, job_id)).by_role("alert").text == jobs.INTERRUPTED


def test_a_running_job_is_not_taken_for_dead_while_its_lock_is_held(logged_in, app, shop, small_queue):
    logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    with app.app_context():
        job = db.session.scalars(select(BulkJob)).one()
        job.status = "running"
        db.session.commit()
        job_id = job.id
        lock = jobs._lock(app, job_id)
    try:
        assert "Working on it" in page(job_page(logged_in, job_id)).text
    finally:
        lock.release()


def test_a_queue_that_cannot_be_reached_fails_the_job_at_once(logged_in, app, shop, small_queue, monkeypatch):
    def down(*args):
        raise ConnectionError("no queue")

    monkeypatch.setattr(queue, "enqueue", down)
    response = logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    assert page(logged_in.get(response.headers["Location"])).by_role("alert").text == jobs.QUEUE_DOWN


def test_a_starting_worker_queues_again_what_a_killed_one_had_taken(logged_in, app, shop, small_queue):
    logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    with app.app_context():
        job_id = db.session.scalars(select(BulkJob.id)).one()
        queue.huey(app).flush()  # the task was taken off the queue, then its worker was killed
        jobs.recover(app, set())
        assert queue.pending_args(app) == [(job_id,)]
        jobs.recover(app, {job_id})  # already waiting: not queued twice
        assert queue.pending_args(app) == [(job_id,)]


def test_only_its_author_sees_a_job(logged_in, app, client, shop, small_queue):
    logged_in.post("/customers/bulk/delete", data=confirmed(ALL_PROSPECTS))
    with app.app_context():
        job_id = db.session.scalars(select(BulkJob.id)).one()
        factories.member("m@shop.test", "manager")
        db.session.commit()
    logged_in.post("/logout")
    logged_in.post("/login", data={"email": "m@shop.test", "password": factories.MEMBER_PASSWORD})
    assert job_page(logged_in, job_id).status_code == 404
    assert job_page(logged_in, 999_999).status_code == 404


def add_subscribers(n: int) -> None:
    """n subscribed prospects, written at once."""
    db.session.execute(insert(Customer), [
        {"first_name": f"Sub{i:04d}", "last_name": "Scriber", "email": f"sub{i}@example.test", "email_marketing": True,
         "source": "import", "search_text": f"sub{i:04d} scriber", "name_key": name_key_for(f"Sub{i:04d} Scriber")}
        for i in range(n)])


@pytest.fixture
def worker(app):
    """A real task worker process on the test app's database, queue and bulk folder."""
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "crm", "worker"], cwd=ROOT,
                               env=worker_env(app, CRM_BULK_DIR=app.config["BULK_DIR"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield process
    process.kill()
    process.wait()


def test_more_than_1000_customers_go_to_a_real_worker_and_come_back_done(logged_in, app, worker):
    with app.app_context():
        add_subscribers(1001)
        db.session.commit()
    data = MultiDict([("list", "q=scriber"), ("all", "1")])
    assert page(logged_in.post("/customers/bulk/unsubscribe", data=data)).heading(
        "Turn off email marketing for 1,001 customers?")
    location = logged_in.post("/customers/bulk/unsubscribe", data=confirmed(data)).headers["Location"]
    assert location.startswith("/customers/bulk/jobs/")
    html = wait_until(lambda: (lambda html: "Done" in html and html)(
        job_page(logged_in, int(location.rsplit("/", 1)[1]), htmx=True).get_data(as_text=True)), "the bulk job")
    assert "Turned off email marketing for 1,001 customers." in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Customer.email_marketing.is_(True))) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "edit", AuditEvent.field == "Email marketing")) == 1001
