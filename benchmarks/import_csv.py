"""Customer import at 100,000 rows: upload, dry run and import through the real pages, on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/import_csv.py [--rows 100000] [--postgresql] [--queue] [--work DIR] [--rebuild]

The file is an export of a demo shop (`crm.demo.generate`, seed 1, exported by
`crm.services.exports`), with the contact numbers rewritten the way people type them ("0412 345 678") and
a membership ID on every fifth row, so every row goes through the full checks. It is built once into
--work and reused. Three runs into a fresh shop, each as the owner would do it (upload, the preview's dry
run, "Import"), with checks and imports inside the request (IMPORT_SYNC) so the clock sees all of it, or, with
--queue, on a real task worker as `make run` runs them (the clock then runs from the request until the page
polled every 0.2 s says the job is over):

1. the file into the empty shop: every row a new customer;
2. the same file again: every row unchanged (the round trip);
3. the file with every last name and street changed: an update for every row with an email or number
   (rows with neither can't be matched, so they become new customers; see docs/ui-contract.md).

Target: each import (the "Import" request: the rows checked again, then written in one transaction) under
60 seconds.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import flask_migrate
from sqlalchemy import func, select

from crm import create_app, demo
from crm.extensions import db
from crm.models import Customer
from crm.services import accounts, exports, phones

# Beside the customer-list benchmark, whose machine line this one shares.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import list_page  # noqa: E402

TARGET_SECONDS = 60.0
OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "benchmark password"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/crm-bench/import"))
    parser.add_argument("--postgresql", action="store_true",
                        help="import into a throwaway PostgreSQL cluster (tests/pgcluster.py) instead of SQLite")
    parser.add_argument("--rebuild", action="store_true", help="build the CSV files again even if they exist")
    parser.add_argument("--queue", action="store_true",
                        help="run dry runs and imports on a real task worker (`flask --app crm worker`, the queue in "
                             "a SQLite file in --work), as `make run` does, instead of inside the request")
    return parser.parse_args(argv)


def make_app(url: str, uploads: Path, queue_file: Path | None = None):
    """The app as production runs it (no TESTING); imports inside the request so they can be timed, or with
    `queue_file` handed to the task worker that reads that queue."""
    return create_app({"TESTING": False, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench", "DATABASE_URL": url,
                       "RATELIMIT_ENABLED": False, "IMPORT_DIR": str(uploads), "IMPORT_SYNC": queue_file is None,
                       "QUEUE_FILE": str(queue_file) if queue_file else None,
                       "IMPORT_MAX_BYTES": 200 * 1024 * 1024})


def start_worker(url: str, uploads: Path, queue_file: Path) -> subprocess.Popen:
    """`flask --app crm worker` on the same database, uploads and queue, as `make run` starts it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=url, CRM_SECRET_KEY="bench", CRM_IMPORT_DIR=str(uploads),
               CRM_QUEUE_FILE=str(queue_file), CRM_IMPORT_MAX_BYTES=str(200 * 1024 * 1024))
    flask = Path(sys.executable).with_name("flask")
    return subprocess.Popen([str(flask), "--app", "crm", "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def until(client, url: str, params, finished) -> str:
    """GET the page every 0.2 s until `finished(html)` says the job on it is over; its last HTML."""
    while True:
        html = client.get(url, query_string=params).get_data(as_text=True)
        if finished(html):
            return html
        time.sleep(0.2)


def build_files(work: Path, rows: int) -> tuple[Path, Path]:
    """The new-customers file and the everything-changed file, from an exported demo shop."""
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{source}{suffix}").unlink(missing_ok=True)
    app = make_app(f"sqlite:///{source}", work / "uploads")
    with app.app_context():
        flask_migrate.upgrade()
        demo.generate(rows, orders_per_customer=0.5, seed=1)
        db.session.commit()
        text = "".join(exports.rows(exports.ExportFilter(), "AU", "AUD"))
        db.engine.dispose()
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = table[0]
    col = {name: header.index(name) for name in header}
    for n, row in enumerate(table[1:]):
        for key in ("phone", "whatsapp"):
            value = row[col[key]].lstrip("'")
            if value.startswith("+61"):
                row[col[key]] = phones.display(value, "AU")  # typed the Australian way
        if n % 5 == 0:
            row[col["membership_id"]] = f"KG{n:08d}"
            row[col["membership_expires_on"]] = "2027-06-30"
    fresh = work / f"customers-{rows}.csv"
    write(fresh, table)
    for row in table[1:]:
        row[col["last_name"]] = (row[col["last_name"]] + " Jr")[:100]
        if row[col["street"]]:
            row[col["street"]] = "1 " + row[col["street"]]
    changed = work / f"customers-{rows}-changed.csv"
    write(changed, table)
    return fresh, changed


def write(path: Path, table: list[list[str]]) -> None:
    """A CSV file as the export writes one (UTF-8 with BOM)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)


def fresh_database(work: Path, postgresql: bool):
    """A migrated, empty shop with its owner; returns (url, cluster or None)."""
    cluster = None
    if postgresql:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.pgcluster import Cluster

        cluster = Cluster()
        url = cluster.start()
    else:
        path = work / "shop.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    app = make_app(url, work / "uploads")
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_owner("Benchmark shop", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return url, cluster


def text_of(html: str) -> str:
    """Visible text of a page, tags dropped."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def run(client, path: Path, overwrite: bool = False) -> dict:
    """Upload, dry run and import one file through the pages (ticking "Overwrite existing values" with
    `overwrite`); seconds for each and what the pages said."""
    data = path.read_bytes()
    started = time.perf_counter()
    response = client.post("/customers/import", data={"file": (io.BytesIO(data), path.name)},
                           content_type="multipart/form-data")
    upload = time.perf_counter() - started
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    preview_url = response.headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    started = time.perf_counter()
    params = {"overwrite": "1"} if overwrite else None
    page = until(client, preview_url, params, lambda html: "<dt>" in html or "Nothing to import" in html
                 or "failed" in html)
    check = time.perf_counter() - started
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", page))
    fields = dict(re.findall(r'<input type="hidden" name="(map_\d+|overwrite)" value="(\w*)">', page))
    if not fields:  # every row unchanged: the page offers no import
        assert "Nothing to import" in page, text_of(page)[:2000]
        return {"size": len(data), "upload": upload, "check": check, "import": None, "figures": figures,
                "outcome": "(no import offered: nothing to import)"}
    started = time.perf_counter()
    response = client.post(f"/customers/import/{token}/import", data=fields)
    done = until(client, response.headers["Location"], None, lambda html: "Imported:" in html or "failed" in html)
    imported = time.perf_counter() - started
    outcome = re.search(r"Imported: [^<]+", done)
    assert outcome, text_of(done)[:2000]
    return {"size": len(data), "upload": upload, "check": check, "import": imported, "figures": figures,
            "outcome": " ".join(outcome.group(0).split())}


def machine(url: str) -> str:
    """One line about where this ran, naming the engine of this run."""
    return list_page.machine("PostgreSQL" if url.startswith("postgresql") else None)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the files, run the three imports into a fresh shop, print the report."""
    options = parse_args(argv)
    work = options.work.resolve()
    fresh = work / f"customers-{options.rows}.csv"
    changed = work / f"customers-{options.rows}-changed.csv"
    if options.rebuild or not (fresh.exists() and changed.exists()):
        print(f"building {fresh} ...", file=sys.stderr)
        fresh, changed = build_files(work, options.rows)
    url, cluster = fresh_database(work, options.postgresql)
    queue_file = work / "queue.sqlite" if options.queue else None
    if queue_file:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{queue_file}{suffix}").unlink(missing_ok=True)
    worker = start_worker(url, work / "uploads", queue_file) if queue_file else None
    try:
        app = make_app(url, work / "uploads", queue_file)
        client = app.test_client()
        login = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
        assert login.status_code == 302, login.status_code
        results = []
        for name, path, overwrite in (("New customers", fresh, False), ("Same file again (round trip)", fresh, False),
                                      ("Every last name and street changed (overwriting)", changed, True)):
            print(f"{name} ...", file=sys.stderr)
            results.append((name, run(client, path, overwrite)))
        with app.app_context():
            customers = db.session.scalar(select(func.count()).select_from(Customer))
            db.engine.dispose()
        engine_info = machine(url)
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=60)
        if cluster:
            cluster.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: `.venv/bin/python benchmarks/import_csv.py"
          f"{' --postgresql' if options.postgresql else ''}{' --queue' if options.queue else ''}`\n")
    print(f"- Machine: {engine_info}")
    print(f"- File: {options.rows:,} rows, {fresh.stat().st_size / 1e6:.1f} MB (export columns, demo data seed 1); "
          f"shop afterwards: {customers:,} customers; peak RSS {peak:.0f} MB\n")
    print("| Run | Dry run says | Upload s | Dry run s | Import s | Done message |")
    print("|---|---|---:|---:|---:|---|")
    slow = False
    for name, r in results:
        figures = ", ".join(f"{k} {v}" for k, v in r["figures"].items())
        took = "–" if r["import"] is None else f"{r['import']:.1f}"
        print(f"| {name} | {figures} | {r['upload']:.1f} | {r['check']:.1f} | {took} | {r['outcome']} |")
        slow |= (r["import"] or 0) >= TARGET_SECONDS
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
