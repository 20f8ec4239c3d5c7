"""Bulk "Delete" of every prospect (customers without paid orders) of the 100,000-customer benchmark shop, through
the bulk action's job, beside the bare DELETE of the same customers.

    .venv/bin/python benchmarks/bulk_delete.py --db /tmp/crm-bench/list-delete.sqlite [--runs 3]

Give it a path for a working copy: each run copies the customer list's benchmark database
(/tmp/crm-bench/list.sqlite, built by benchmarks/list_page.py) there afresh, upgraded to the newest migration,
because the job commits. Timed in each run:

1. the floor: `DELETE FROM customer WHERE segment = 'prospect'` and no order (unpaid orders make a prospect
   undeletable, as the action skips them; addresses, memberships, tags and notes go with it by ON DELETE
   CASCADE), rolled back;
2. the job as the task worker runs it (`crm.customers.jobs.run_queued`) on "all matching" the Prospect tab:
   each customer moved to Recently deleted whole (address, membership, notes, tags), as the single delete
   does, with a trail entry each, the "bulk" entry and the job's row, committed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import flask_migrate
from sqlalchemy import func, select, text

from crm import create_app
from crm.extensions import db
from crm.imports import begin_write
from crm.models import BulkJob, Customer, DeletedCustomer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import list_page  # noqa: E402
from bulk_actions import owner, run_job, timed  # noqa: E402

SOURCE = Path("/tmp/crm-bench/list.sqlite")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="where to keep the working copy (overwritten)")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def fresh_copy(path: Path) -> None:
    """The benchmark shop copied to `path`, with nothing left of an earlier run."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(SOURCE, path)


def floor_delete() -> float:
    """The bare DELETE of every prospect, rolled back."""
    begin_write()
    seconds = timed(lambda: db.session.execute(text(
        "DELETE FROM customer WHERE segment = 'prospect' AND NOT EXISTS "
        "(SELECT 1 FROM \"order\" WHERE \"order\".customer_id = customer.id)")))
    db.session.rollback()
    return seconds


def the_job() -> tuple[float, BulkJob]:
    """The bulk Delete job on all matching the Prospect tab, as the task worker runs it (committed)."""
    prospects = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.segment == "prospect"))
    return run_job(owner(), "delete", {"ids": [], "list": "segment=prospect", "everything": True}, prospects)


def main(argv: list[str] | None = None) -> None:
    """Time the floor and the job on a fresh copy in each of --runs runs; print a Markdown report."""
    args = parse_args(argv)
    if args.db.resolve() == SOURCE:
        sys.exit("Give a path for a working copy, not the benchmark database itself.")
    results: dict[str, list[float]] = {"DELETE of the prospects (floor)": [], "bulk Delete job (run_queued)": []}
    for _ in range(args.runs):
        fresh_copy(args.db)
        app = create_app({"TESTING": False, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{args.db.resolve()}",
                          "RATELIMIT_ENABLED": False, "BULK_DIR": tempfile.mkdtemp(prefix="crm-bulk-")})
        with app.app_context():
            flask_migrate.upgrade()
            owner()
            results["DELETE of the prospects (floor)"].append(floor_delete())
            seconds, job = the_job()
            binned = db.session.scalar(select(func.count()).select_from(DeletedCustomer))
            assert job.status == "done" and job.changed == binned, (job.status, job.changed, binned, job.message)
            results["bulk Delete job (run_queued)"].append(seconds)
            db.session.remove()
            db.engine.dispose()
    print(f"- Machine: {list_page.machine()}")
    print(f"- Data: copies of {SOURCE}; the job deleted {job.changed:,} prospects (of {job.total:,} selected)\n")
    print("| What | Median s | Runs (s) |\n|---|---:|---:|")
    for what, runs in results.items():
        print(f"| {what} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")


if __name__ == "__main__":
    main()
