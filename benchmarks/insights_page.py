"""Server time of Insights (GET /insights) on a big demo shop in SQLite.

    .venv/bin/python benchmarks/insights_page.py [--customers 100000] [--orders-per-customer 10]
                                                 [--db PATH] [--rebuild] [--repeat 30]

Uses the customer-list benchmark's data (built once by `crm.demo.generate`, seed 1, into
/tmp/crm-bench/list.sqlite) and upgrades it to the newest migration first. Each case is requested twice to
warm up, then --repeat times through the Flask test client, logged in: the whole page for every period and
level, and the htmx partials that the period and level links swap in. Two more rows are reported, not held to
the target: the page with the month cache emptied before every request (as after a refund in an old month,
or on a new day) and the email-marketing export of the VIPs (the whole download).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
from sqlalchemy import delete, func, select

from crm.extensions import db
from crm.models import Customer, InsightMonth, Order
from crm.services.insights import LEVELS, PERIODS

# Beside the customer-list benchmark, whose data and helpers this one shares.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_page import OWNER_EMAIL, OWNER_PASSWORD, build, machine, make_app, percentile, ready, verdict

TARGET_MS = 100.0
PARTIAL_TARGETS = {"period": "period-figures", "level": "top-places"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/list.sqlite"))
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it exists")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (after 2 warm-ups)")
    return parser.parse_args(argv)


def cases() -> list[tuple[str, dict, str | None]]:
    """(label, query arguments, htmx target or None for the whole page) for every case held to the target."""
    out: list[tuple[str, dict, str | None]] = []
    for period in PERIODS:
        for level in LEVELS:
            out.append((f"page `period={period}&level={level}`", {"period": period, "level": level}, None))
    for period in PERIODS:
        out.append((f"period panel `period={period}` (htmx)", {"period": period}, PARTIAL_TARGETS["period"]))
    for level in LEVELS:
        out.append((f"level panel `level={level}` (htmx)", {"level": level}, PARTIAL_TARGETS["level"]))
    return out


def measure(client, path: str, args: dict, target: str | None, repeat: int, before=None) -> list[float]:
    """Milliseconds for each of `repeat` requests of one case, after two warm-ups (`before` runs untimed first)."""
    url = path + ("?" + urlencode(args) if args else "")
    headers = {"HX-Request": "true", "HX-Target": target} if target else {}
    timings = []
    for run in range(repeat + 2):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        body = response.get_data()  # a streamed download is only done when its last chunk is read
        took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if path == "/insights":
            assert (b"<html" in body) != bool(target), url
        if run >= 2:
            timings.append(took)
    return timings


def main(argv: list[str] | None = None) -> int:
    """Reuse (or build) the data, time every case, print the report; exit 1 when a median misses the target."""
    options = parse_args(argv)
    path = options.db.resolve()
    if options.rebuild or not ready(path, options.customers):
        print(f"building {path} ...", file=sys.stderr)
        build(path, options.customers, options.orders_per_customer)
    app = make_app(path)
    with app.app_context():
        started = time.perf_counter()
        flask_migrate.upgrade()  # an older copy gets the per-place counts and indexes Insights reads
        print(f"migrations checked in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        # The month cache as the task worker keeps it (the page only reads it).
        assert app.test_cli_runner().invoke(args=["refresh-insights"]).exit_code == 0
        counts = {
            "customers": db.session.scalar(select(func.count()).select_from(Customer)),
            "orders": db.session.scalar(select(func.count()).select_from(Order)),
            "paid": db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "paid")),
        }
        db.engine.dispose()
    client = app.test_client()
    login = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert login.status_code == 302, login.status_code

    def empty_month_cache() -> None:
        """Forget every counted month, as a change to an old month's orders would before the next refresh."""
        with app.app_context():
            db.session.execute(delete(InsightMonth))
            db.session.commit()

    rows, slow = [], []
    for label, args, target in cases():
        timings = measure(client, "/insights", args, target, options.repeat)
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        mark = "" if median < TARGET_MS else " ⚠"
        rows.append(f"| {label} | {median:.1f}{mark} | {p95:.1f} |")
        if mark:
            slow.append(label)
        print(f"{label}: {median:.1f} ms", file=sys.stderr)
    extra = []
    cold_repeat = max(3, options.repeat // 5)
    for label, path_, args, before, repeat in (
        ("page with the month cache emptied first (11 months counted from the orders)", "/insights", {},
         empty_month_cache, cold_repeat),
        ("`/insights/export?segment=vip` (the whole CSV)", "/insights/export", {"segment": "vip"}, None, cold_repeat),
    ):
        timings = measure(client, path_, args, None, repeat, before)
        extra.append(f"| {label} | {statistics.median(timings):.1f} | {percentile(timings, 0.95):.1f} |")
        print(f"{label}: {statistics.median(timings):.1f} ms", file=sys.stderr)

    given = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python benchmarks/insights_page.py", *given])
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: `{command}`")
    print()
    print(f"- Machine: {machine()}")
    print(f"- Data: {counts['customers']:,} customers, {counts['orders']:,} orders ({counts['paid']:,} paid); "
          f"the list benchmark's database")
    print(f"- Per case: 2 warm-up requests, then {options.repeat} timed; server time through the Flask test "
          f"client, logged in as the owner. ⚠ marks a median over {TARGET_MS:.0f} ms.")
    print()
    print("| Case | Median ms | p95 ms |")
    print("|---|---:|---:|")
    print("\n".join(rows))
    print()
    print(f"Not held to the target ({cold_repeat} timed runs each):")
    print()
    print("| Case | Median ms | p95 ms |")
    print("|---|---:|---:|")
    print("\n".join(extra))
    print()
    return verdict(len(rows), len(slow), TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
