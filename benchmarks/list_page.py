"""Server time of the customer list (GET /customers) on a big demo shop in SQLite.

    .venv/bin/python benchmarks/list_page.py [--customers 100000] [--orders-per-customer 10]
                                             [--db PATH] [--rebuild] [--repeat 30] [--only TEXT]

The data is built once (migrations, `crm.demo.generate`, an owner account) and reused while it
has the asked-for number of customers (upgraded to the newest migration first). Each case is requested twice to warm up, then --repeat times through
the Flask test client, logged in; the Markdown table gives median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
import sqlalchemy
from sqlalchemy import func, select

from crm import create_app, demo
from crm.extensions import db
from crm.models import ALL_SEGMENTS, Customer, LocationCount, Order, OrderItem, User
from crm.services import accounts, phones, saved_views
from crm.services.customers import ListQuery
from crm.services.shop import get_settings

TARGET_MS = 50.0
OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "benchmark password"
TABS = ("all", "vip", "returning", "new", "prospect")
SORTS = ("created", "name", "orders", "spent", "last_order")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/list.sqlite"))
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it exists")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (after 2 warm-ups)")
    parser.add_argument("--only", default="", help="time only the cases whose query string contains this text")
    return parser.parse_args(argv)


def make_app(path: Path):
    """The app on the benchmark database, as production runs it (no TESTING), without the login rate limit."""
    return create_app({"TESTING": False, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                       "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False})


def remove_database(path: Path) -> None:
    """Delete the SQLite file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def ready(path: Path, customers: int) -> bool:
    """Whether the file already holds a built shop of the asked-for size."""
    if not path.exists():
        return False
    app = make_app(path)
    try:
        with app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Customer))
            return count == customers and accounts.owner_exists()
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    finally:
        with app.app_context():
            db.engine.dispose()


def build(path: Path, customers: int, orders_per_customer: float) -> None:
    """Migrate a new database, fill it with demo data and create the owner."""
    remove_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    app = make_app(path)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        result = demo.generate(customers, orders_per_customer=orders_per_customer, seed=1,
                               progress=lambda msg: print(f"  {msg}", file=sys.stderr))
        print(f"built {result.customers:,} customers / {result.orders:,} orders in "
              f"{time.perf_counter() - started:.1f}s", file=sys.stderr)
        accounts.create_owner("Benchmark shop", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
        db.engine.dispose()


def busiest_city() -> dict[str, str]:
    """The city (with its state and country) where most customers live, as the list's URL arguments."""
    row = db.session.execute(
        select(LocationCount.country, LocationCount.state, LocationCount.city)
        .where(LocationCount.level == "city", LocationCount.segment == ALL_SEGMENTS, LocationCount.city != "")
        .order_by(LocationCount.customers.desc()).limit(1)).one()
    return {"country": row.country, "state": row.state, "city": row.city}


def search_terms() -> dict[str, str]:
    """A common surname, a mobile prefix, and one customer's whole number typed the national way."""
    surname = db.session.execute(
        select(Customer.last_name).where(~Customer.last_name.like("bin%"))
        .group_by(Customer.last_name).order_by(func.count().desc()).limit(1)).scalar_one()
    phone = db.session.scalar(select(Customer.phone).where(Customer.phone.like("+614%"))
                              .order_by(Customer.id).limit(1))
    return {"surname": surname, "prefix": "0412", "number": phones.display(phone, "AU")}


def bench_views(terms: dict[str, str]) -> list[int]:
    """The saved views every page counts: the built-in Lapsed view, a search in a tab, and a state sorted by
    spend (made once in the benchmark's copy of the data). Their ids, in tab order."""
    wanted = {"Smith VIPs": {"segment": "vip", "q": terms["surname"]},
              "NSW big spenders": {"country": "AU", "state": "NSW", "sort": "spent", "dir": "desc"}}
    have = {view.name for view in saved_views.all_views()}
    owner = accounts.find_user(OWNER_EMAIL)
    for name, args in wanted.items():
        if name not in have:
            saved_views.create(name, ListQuery.from_args(args), owner, get_settings())
    db.session.commit()
    return [view.id for view in saved_views.all_views()]


def cases(terms: dict[str, str], city: dict[str, str], views: list[int] = ()) -> list[tuple[dict, bool]]:
    """(query arguments, htmx?) for every case measured."""
    out: list[tuple[dict, bool]] = []
    for tab in TABS:
        for sort in SORTS:
            for direction in ("desc", "asc"):
                out.append(({"segment": tab, "sort": sort, "dir": direction}, False))
    for tab in TABS:
        for sort in SORTS:
            out.append(({"segment": tab, "sort": sort, "dir": "desc", "page": 1000}, False))
    for term in terms.values():
        for tab in TABS:
            out.append(({"segment": tab, "q": term}, False))
        out.append(({"q": term, "sort": "name", "dir": "asc"}, False))
        out.append(({"q": term, "sort": "spent", "dir": "desc"}, False))
        out.append(({"q": term, "page": 2}, False))
    out += [
        ({}, True),
        ({"segment": "vip", "sort": "spent", "dir": "desc"}, True),
        ({"segment": "prospect", "sort": "created", "dir": "asc"}, True),
        ({"sort": "last_order", "dir": "desc", "page": 1000}, True),
        ({"q": terms["surname"]}, True),
        ({"q": terms["number"]}, True),
    ]
    # The location filter: a whole country, a state within a tab, the busiest city, a place and a search.
    out += [
        ({"country": "AU"}, False),
        ({"segment": "vip", "sort": "spent", "dir": "desc", "country": "AU", "state": "NSW"}, False),
        ({"sort": "name", "dir": "asc", **city}, False),
        ({"segment": "prospect", "country": "MY"}, False),
        ({"q": terms["surname"], "country": "AU"}, False),
        ({"segment": "returning", **city}, True),
    ]
    # Each saved view opened (every case above counts all of them for their tabs too).
    out += [({"view": view}, htmx) for view in views for htmx in (False, True)]
    return out


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def measure(client, args: dict, htmx: bool, repeat: int) -> list[float]:
    """Milliseconds for each of `repeat` requests of one case, after two warm-ups."""
    url = "/customers" + ("?" + urlencode(args) if args else "")
    headers = {"HX-Request": "true"} if htmx else {}
    timings = []
    for run in range(repeat + 2):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        assert (b"<html" in response.data) != htmx, url
        if run >= 2:
            timings.append(took)
    return timings


def verdict(cases: int, slow: int, target_ms: float) -> int:
    """Print how many cases missed the target; the exit status is 1 when any did."""
    if slow:
        print(f"{slow} of {cases} cases have a median over {target_ms:.0f} ms.")
    else:
        print(f"All {cases} cases have a median under {target_ms:.0f} ms.")
    return 1 if slow else 0


def machine(engine: str | None = None) -> str:
    """One line about where this ran (the database engine: SQLite unless told)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{os.cpu_count()} CPUs ({model or platform.processor() or platform.machine()}), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"{engine or f'SQLite {sqlite3.sqlite_version}'}, SQLAlchemy {sqlalchemy.__version__}; "
            f"load average {load}")


def label(args: dict, htmx: bool) -> str:
    """How a case reads in the table."""
    text = urlencode(args) if args else "(defaults)"
    return f"`{text}`" + (" (htmx)" if htmx else "")


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data, time every case, print the report; exit 1 when a median misses the target."""
    options = parse_args(argv)
    path = options.db.resolve()
    if options.rebuild or not ready(path, options.customers):
        print(f"building {path} ...", file=sys.stderr)
        build(path, options.customers, options.orders_per_customer)
    app = make_app(path)
    client = app.test_client()
    with app.app_context():
        flask_migrate.upgrade()  # an older copy of the data gets the newest schema (and its kept counts)
        counts = {
            "customers": db.session.scalar(select(func.count()).select_from(Customer)),
            "orders": db.session.scalar(select(func.count()).select_from(Order)),
            "items": db.session.scalar(select(func.count()).select_from(OrderItem)),
        }
        segments = Counter(dict(db.session.execute(
            select(Customer.segment, func.count()).group_by(Customer.segment)).all()))
        terms = search_terms()
        city = busiest_city()
        views = bench_views(terms)
        assert db.session.scalar(select(func.count()).select_from(User)) >= 1
    login = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert login.status_code == 302, login.status_code

    rows, slow = [], []
    for args, htmx in cases(terms, city, views):
        if options.only not in label(args, htmx):
            continue
        timings = measure(client, args, htmx, options.repeat)
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        mark = "" if median < TARGET_MS else " ⚠"
        rows.append(f"| {label(args, htmx)} | {median:.1f}{mark} | {p95:.1f} |")
        if mark:
            slow.append((label(args, htmx), median, p95))
        print(f"{label(args, htmx)}: {median:.1f} ms", file=sys.stderr)

    files = (Path(f"{path}{suffix}") for suffix in ("", "-wal"))
    size_mb = sum(f.stat().st_size for f in files if f.exists()) / 1e6
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python benchmarks/list_page.py", *given])
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: `{command}`")
    print()
    print(f"- Machine: {machine()}")
    per_segment = ", ".join(f"{k} {v:,}" for k, v in segments.items())
    print(f"- Data: {counts['customers']:,} customers ({per_segment}), "
          f"{counts['orders']:,} orders, {counts['items']:,} order items; database {size_mb:,.0f} MB")
    print(f"- Searches: surname `{terms['surname']}`, mobile prefix `{terms['prefix']}`, "
          f"whole number `{terms['number']}`")
    print(f"- Per case: 2 warm-up requests, then {options.repeat} timed; server time through the Flask "
          f"test client, logged in as the owner; 25 rows a page. ⚠ marks a median over {TARGET_MS:.0f} ms.")
    print()
    print("| Case (query string) | Median ms | p95 ms |")
    print("|---|---:|---:|")
    print("\n".join(rows))
    print()
    return verdict(len(rows), len(slow), TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
