"""One tag on every customer of the 100,000-customer benchmark shop and off again (SQLite), each beside a
floor measured in the same run: the bare statement that writes the same customer_tag rows.

    .venv/bin/python benchmarks/bulk_tags.py [--db /tmp/crm-bench/list-tags.sqlite]
                                             [--source /tmp/crm-bench/list.sqlite] [--repeat 3]

The shop is the customer list benchmark's (benchmarks/list_page.py builds it); it is copied to --db once,
upgraded to the newest migration, and never written in place. Each run commits, as a bulk action does:
`add_to_many` is the customer_tag rows, the tag's count and one trail row per customer; the floor is one
INSERT ... SELECT of the same rows, rolled back. The Markdown table gives the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import flask_migrate
from sqlalchemy import delete, func, select, text

from crm import create_app
from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, Tag
from crm.services import tags

TARGET_S = 10.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/list-tags.sqlite"))
    parser.add_argument("--source", type=Path, default=Path("/tmp/crm-bench/list.sqlite"))
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def timed(work) -> float:
    """Seconds the call takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def floor_add(tag_id: int) -> None:
    """The bare insert of one customer_tag row per customer, rolled back."""
    db.session.execute(text("INSERT INTO customer_tag (customer_id, tag_id) SELECT id, :t FROM customer"),
                       {"t": tag_id})
    db.session.rollback()


def add_all(tag: Tag) -> int:
    """add_to_many over every customer, committed."""
    changed = tags.add_to_many(tag, select(Customer.id), None, actor="Benchmark")
    db.session.commit()
    return changed


def remove_all(tag: Tag) -> int:
    """remove_from_many over every customer, committed."""
    changed = tags.remove_from_many(tag, select(Customer.id), None, actor="Benchmark")
    db.session.commit()
    return changed


def floor_remove(tag: Tag) -> None:
    """The bare delete of the tag's rows after a bare insert of them (the delete alone is timed by the caller)."""
    db.session.execute(delete(CustomerTag.__table__).where(CustomerTag.__table__.c.tag_id == tag.id))
    db.session.rollback()


def run(args: argparse.Namespace) -> list[tuple[str, float, str]]:
    """The timings: (what, median seconds, note)."""
    if not args.db.exists():
        shutil.copyfile(args.source, args.db)
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{args.db}"})
    with app.app_context():
        flask_migrate.upgrade()
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        tag = tags.get_or_create("Benchmark")
        db.session.execute(delete(CustomerTag.__table__).where(CustomerTag.__table__.c.tag_id == tag.id))
        tag.customers = 0
        db.session.commit()
        times: dict[str, list[float]] = {"floor_add": [], "add": [], "floor_remove": [], "remove": []}
        for _ in range(args.repeat):
            times["floor_add"].append(timed(lambda: floor_add(tag.id)))
            changed = []
            times["add"].append(timed(lambda: changed.append(add_all(tag))))
            assert changed == [customers] and tag.customers == customers
            times["floor_remove"].append(timed(lambda: floor_remove(tag)))
            gone = []
            times["remove"].append(timed(lambda: gone.append(remove_all(tag))))
            assert gone == [customers] and tag.customers == 0
        trail = db.session.scalar(select(func.count()).where(AuditEvent.actor == "Benchmark"))
        db.session.execute(delete(AuditEvent).where(AuditEvent.actor == "Benchmark"))
        db.session.commit()
    median = {key: statistics.median(values) for key, values in times.items()}
    return [
        ("floor: INSERT ... SELECT of the rows", median["floor_add"], f"{customers:,} rows, rolled back"),
        ("add_to_many (rows, count, trail, commit)", median["add"], f"{trail // (2 * args.repeat):,} trail rows"),
        ("floor: DELETE of the rows", median["floor_remove"], "rolled back"),
        ("remove_from_many (rows, count, trail, commit)", median["remove"], f"target under {TARGET_S:.0f} s"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run and print the Markdown table."""
    args = parse_args(argv)
    load = os.getloadavg()
    rows = run(args)
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; median of {args.repeat} runs\n")
    print("| What | Seconds | Note |\n| --- | ---: | --- |")
    for what, seconds, note in rows:
        print(f"| {what} | {seconds:.2f} | {note} |")
    worst = max(rows[1][1], rows[3][1])
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
