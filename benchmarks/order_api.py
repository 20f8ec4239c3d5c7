"""Sustained orders per second through the order API: a real gunicorn server on a big demo shop in SQLite.

    .venv/bin/python benchmarks/order_api.py [--customers 100000] [--orders-per-customer 10] [--db PATH]
                                             [--rebuild] [--orders 3000] [--clients 1,4,8,16]
                                             [--workers 2] [--threads 4]

Uses the customer-list benchmark's data (built once by `crm.demo.generate`, seed 1, into
/tmp/crm-bench/list.sqlite), copied for each run with SQLite's backup API to /tmp/crm-bench/orders.sqlite and
upgraded to the newest migration, so the list's data stays as it was and every run starts from the same shop.
An API token is made in the copy, then `gunicorn --workers W --threads T wsgi:app` serves it. For each number
of concurrent clients, --orders requests go out (a new connection each, as checkout webhooks send them): 50%
orders for known customers found by email (in any case), 10% for known customers found by phone (national
format), 35% for new customers with an address, 5% retries of an order sent before (200, nothing changes).
The table gives orders recorded per second over the whole batch, and each request's time as the client saw
it. Afterwards `stats.recompute_all` must find every customer's figures right.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import flask_migrate
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Customer, Order
from crm.services import phones, stats, tokens

# Beside the customer-list benchmark, whose data and helpers this one shares.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_page import build, machine, make_app, percentile, ready, remove_database

ROOT = Path(__file__).resolve().parent.parent
MIX = (("email", 0.50), ("phone", 0.10), ("new", 0.35), ("retry", 0.05))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/list.sqlite"),
                        help="the shared demo data (built when missing)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/crm-bench/orders.sqlite"),
                        help="the copy the server writes to")
    parser.add_argument("--rebuild", action="store_true", help="build the demo data again even if it exists")
    parser.add_argument("--orders", type=int, default=3000, help="requests per client count")
    parser.add_argument("--clients", default="1,4,8,16", help="concurrent clients, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    return parser.parse_args(argv)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the demo shop (WAL content included) for the server to write to."""
    remove_database(target)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(path: Path, sample: int = 20_000) -> tuple[str, list[str], list[str], dict]:
    """Upgrade the copy, make a token; return it with some known customers' emails and phones, and counts."""
    app = make_app(path)
    with app.app_context():
        flask_migrate.upgrade()
        _, raw = tokens.create_token(f"Benchmark {datetime.now(timezone.utc):%H%M%S}")
        db.session.commit()
        rng = random.Random(1)
        emails = list(db.session.scalars(select(Customer.email).where(Customer.email.is_not(None))))
        numbers = list(db.session.scalars(select(Customer.phone).where(Customer.phone.like("+61%"))))
        emails = rng.sample(emails, min(sample, len(emails)))
        numbers = rng.sample(numbers, min(sample, len(numbers)))
        counts = {"customers": db.session.scalar(select(func.count()).select_from(Customer)),
                  "orders": db.session.scalar(select(func.count()).select_from(Order))}
        db.engine.dispose()
    return raw, emails, numbers, counts


class Workload:
    """Order bodies for one batch: the mix of known, phone-only, new and retried orders."""

    def __init__(self, label: str, emails: list[str], numbers: list[str], seed: int):
        self.label, self.emails, self.numbers = label, emails, numbers
        self.rng = random.Random(seed)
        self.sent: list[dict] = []
        self.lock = threading.Lock()
        self.serial = 0

    def next(self) -> tuple[str, dict]:
        """The kind of the next request and its body."""
        with self.lock:
            kind = self.rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            if kind == "retry" and self.sent:
                return kind, self.rng.choice(self.sent)
            if kind == "retry":
                kind = "new"
            self.serial += 1
            number = f"B{self.label}-{self.serial:06d}"
            total = self.rng.randrange(500, 40_000)
            placed = datetime.now(timezone.utc) - timedelta(minutes=self.rng.randrange(0, 60 * 24 * 30))
            if kind == "email":
                email = self.rng.choice(self.emails)
                customer = {"email": email.upper() if self.rng.random() < 0.3 else email, "first_name": "Known"}
            elif kind == "phone":
                customer = {"phone": phones.display(self.rng.choice(self.numbers), "AU"), "first_name": "Known"}
            else:
                customer = {"email": f"bench.{self.label.lower()}.{self.serial}@example.org",
                            "phone": f"0412 {self.rng.randrange(100_000, 999_999)}", "first_name": "New",
                            "last_name": "Shopper",
                            "address": {"street": f"{self.serial} Bench St", "city": "Parramatta", "state": "NSW",
                                        "postcode": "2150", "country": "AU"}}
            body = {"order_number": number, "placed_at": placed.isoformat().replace("+00:00", "Z"),
                    "status": "paid", "currency": "AUD", "total": f"{total // 100}.{total % 100:02d}",
                    "customer": customer,
                    "items": [{"name": "Linen throw", "quantity": 1, "unit_price": f"{total // 100}.{total % 100:02d}"}]}
            self.sent.append(body)
            return kind, body


def send(port: int, token: str, body: dict) -> tuple[int, float]:
    """POST one order on a new connection; its status and milliseconds."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/orders", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                              "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def run_batch(port: int, token: str, workload: Workload, clients: int, total: int) -> dict:
    """`total` requests from `clients` threads at once; throughput and latencies."""
    remaining = iter(range(total))
    lock = threading.Lock()
    timings: list[float] = []
    statuses: Counter = Counter()

    def client() -> None:
        """Send orders until the batch is used up."""
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            _, body = workload.next()
            status, ms = send(port, token, body)
            with lock:
                timings.append(ms)
                statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    took = time.perf_counter() - started
    return {"clients": clients, "requests": total, "seconds": took, "recorded": statuses[201],
            "per_second": statuses[201] / took, "median": statistics.median(timings),
            "p95": percentile(timings, 0.95), "p99": percentile(timings, 0.99), "statuses": statuses}


def start_server(path: Path, workers: int, threads: int, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn on the copy, waiting until it answers."""
    port = free_port()
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{path}", "CRM_SECRET_KEY": "bench"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):  # 503: up, with no task worker beside it
                return process, port
        except OSError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def check(path: Path, before: dict, recorded: int) -> tuple[int, int]:
    """Orders added as the 201s say, and (customers, segment counts) that recompute-stats had to fix."""
    app = make_app(path)
    with app.app_context():
        orders = db.session.scalar(select(func.count()).select_from(Order))
        assert orders == before["orders"] + recorded, (orders, before["orders"], recorded)
        wrong = stats.recompute_all()
        counts = stats.recompute_segment_counts()
        db.session.rollback()
        db.engine.dispose()
    return len({m.customer_id for m in wrong}), len(counts)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data, run every client count against one server, print the report."""
    options = parse_args(argv)
    source = options.db.resolve()
    if options.rebuild or not ready(source, options.customers):
        print(f"building {source} ...", file=sys.stderr)
        build(source, options.customers, options.orders_per_customer)
    work = options.work.resolve()
    started = time.perf_counter()
    copy_database(source, work)
    print(f"copied to {work} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    token, emails, numbers, before = prepare(work)
    log = work.with_suffix(".gunicorn.log")
    process, port = start_server(work, options.workers, options.threads, log)
    rows = []
    try:
        for i, clients in enumerate(int(c) for c in options.clients.split(",")):
            workload = Workload(f"{clients}C", emails, numbers, seed=100 + i)
            result = run_batch(port, token, workload, clients, options.orders)
            rows.append(result)
            print(f"{clients} clients: {result['per_second']:.0f} orders/s, median {result['median']:.1f} ms",
                  file=sys.stderr)
    finally:
        process.terminate()
        process.wait(timeout=30)
    recorded = sum(r["recorded"] for r in rows)
    wrong_customers, wrong_counts = check(work, before, recorded)
    errors = log.read_text().count("Traceback")

    given = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python benchmarks/order_api.py", *given])
    size_mb = sum(Path(f"{work}{s}").stat().st_size for s in ("", "-wal") if Path(f"{work}{s}").exists()) / 1e6
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: `{command}`")
    print()
    print(f"- Machine: {machine()}")
    print(f"- Data: {before['customers']:,} customers and {before['orders']:,} orders before the run "
          f"(database {size_mb:,.0f} MB after it)")
    print(f"- Server: `gunicorn --workers {options.workers} --threads {options.threads} wsgi:app`, SQLite (WAL), "
          f"on the same machine as the clients; a new connection per request")
    mix = ", ".join(f"{k} {w:.0%}" for k, w in MIX)
    print(f"- Per row: {options.orders:,} requests ({mix}); orders/s counts orders recorded (201)")
    print(f"- Afterwards: {recorded:,} orders added as the 201s said; recompute-stats fixed "
          f"{wrong_customers} customers and {wrong_counts} segment counts; {errors} server errors")
    print()
    print("| Clients | Requests | Seconds | Orders/s | Median ms | p95 ms | p99 ms | Answers |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        answers = ", ".join(f"{code}: {n:,}" for code, n in sorted(r["statuses"].items()))
        print(f"| {r['clients']} | {r['requests']:,} | {r['seconds']:.1f} | {r['per_second']:.0f} | "
              f"{r['median']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {answers} |")
    ok = wrong_customers == 0 and wrong_counts == 0 and errors == 0 and all(
        set(r["statuses"]) <= {200, 201} for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
