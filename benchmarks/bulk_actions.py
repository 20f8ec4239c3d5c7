"""Bulk "Add tag" to every customer of the 100,000-customer benchmark shop, through the bulk action's job.

    .venv/bin/python benchmarks/bulk_actions.py --db /tmp/crm-bench/list-NAME.sqlite [--runs 3]

Give it a copy of the customer list's benchmark database (`cp /tmp/crm-bench/list.sqlite ...`), never the
shared file: it is upgraded to the newest migration, and every run commits (and is then cleaned away). In the
same run it times two floors on the same data, each rolled back:

1. a bare `INSERT INTO customer_tag SELECT id, <tag> FROM customer` (what no tag code can beat);
2. the tag service's `tags.add_to_many` with its trail (what the job calls);
3. the job itself, as the task worker runs it (`crm.customers.jobs.run_queued`): "all matching" read from the
   list's arguments, the write lock, add_to_many, the "bulk" trail entry, the job's row marked done, committed.

Target: 3. under 10 seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, func, select, text

from crm import create_app
from crm.customers import jobs
from crm.extensions import db
from crm.imports import begin_write
from crm.models import AuditEvent, BulkJob, Customer, CustomerTag, Tag, User
from crm.services import accounts, tags

sys.path.insert(0, str(Path(__file__).resolve().parent))
import list_page  # noqa: E402

TARGET_SECONDS = 10.0
TAG = "Benchmark"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy of the benchmark database (it is written)")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def owner() -> User:
    """The shop's owner (made on a database that has none)."""
    user = db.session.scalar(select(User).where(User.role == "owner"))
    if user is None:
        user = accounts.create_owner("Benchmark shop", "owner@bench.example", "benchmark password")
        db.session.commit()
    return user


def timed(work) -> float:
    """Seconds `work()` takes."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def floor_insert_select() -> float:
    """The bare INSERT ... SELECT of every customer under a new tag, rolled back."""
    begin_write()
    tag = Tag(name=TAG, name_key=TAG.casefold())
    db.session.add(tag)
    db.session.flush()
    seconds = timed(lambda: db.session.execute(
        text("INSERT INTO customer_tag (customer_id, tag_id) SELECT id, :tag FROM customer"), {"tag": tag.id}))
    db.session.rollback()
    return seconds


def floor_add_to_many(user: User) -> float:
    """tags.add_to_many of every customer, with its trail, rolled back."""
    begin_write()
    tag = tags.get_or_create(TAG)
    seconds = timed(lambda: tags.add_to_many(tag, select(Customer.id), user))
    db.session.rollback()
    return seconds


def run_job(user: User, action: str, selection: dict, total: int, tag: str | None = None) -> tuple[float, BulkJob]:
    """A bulk action's job queued and run as the task worker runs it (committed): seconds, and the job after."""
    job = BulkJob(action=action, tag=tag, selection=json.dumps(selection), total=total, user=user, status="queued")
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    seconds = timed(lambda: jobs.run_queued(job_id))
    db.session.remove()
    return seconds, db.session.get(BulkJob, job_id)


def the_job(app, user: User) -> tuple[float, BulkJob]:
    """The bulk action's job on all matching the whole list, as the task worker runs it (committed)."""
    return run_job(user, "add_tag", {"ids": [], "list": "", "everything": True},
                   db.session.scalar(select(func.count()).select_from(Customer)), tag=TAG)


def clean_up(first_event: int) -> None:
    """Take the run's tag, its rows, its trail entries and its job away again."""
    tag = tags.find(TAG)
    if tag is not None:
        db.session.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id))
        db.session.delete(tag)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id > first_event))
    db.session.execute(delete(BulkJob))
    db.session.commit()


def main(argv: list[str] | None = None) -> None:
    """Upgrade the copy, then time the floors and the job, each --runs times; print a Markdown report."""
    args = parse_args(argv)
    if args.db.resolve() == Path("/tmp/crm-bench/list.sqlite"):
        sys.exit("Give a copy of the benchmark database, not the shared one.")
    url = f"sqlite:///{args.db.resolve()}"
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                      "BULK_DIR": tempfile.mkdtemp(prefix="crm-bulk-")})
    with app.app_context():
        flask_migrate.upgrade()
        owner()  # made now on a database without one, so no run pays for it
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        first_event = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        clean_up(first_event)
        results = {"INSERT ... SELECT (floor)": [], "tags.add_to_many": [], "bulk job (run_queued)": []}
        for _ in range(args.runs):
            results["INSERT ... SELECT (floor)"].append(floor_insert_select())
            results["tags.add_to_many"].append(floor_add_to_many(owner()))
            seconds, job = the_job(app, owner())
            assert (job.status, job.changed) == ("done", customers), (job.status, job.changed, job.message)
            results["bulk job (run_queued)"].append(seconds)
            clean_up(first_event)
    print(f"- Machine: {list_page.machine()}")
    print(f"- Data: {customers:,} customers in {args.db} ({args.db.stat().st_size / 1e6:.0f} MB)\n")
    print("| What | Median s | Runs (s) |\n|---|---:|---:|")
    for what, runs in results.items():
        print(f"| {what} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")
    runs = results["bulk job (run_queued)"]
    median = statistics.median(runs)
    print(f"\nTarget: the job under {TARGET_SECONDS:.0f} s: median {median:.2f} s "
          f"{'met' if median < TARGET_SECONDS else 'MISSED'}; slowest run {max(runs):.2f} s.")


if __name__ == "__main__":
    main()
