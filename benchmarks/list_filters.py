"""Server time of the filtered customer list (GET /customers with the filter panel's arguments) on a big demo shop
in SQLite, beside the unfiltered page measured in the same run.

    .venv/bin/python benchmarks/list_filters.py --db /tmp/crm-bench/list-NAME.sqlite [--repeat 20] [--only TEXT]

Takes a shop built by benchmarks/list_page.py (pass a copy: this adds to it). The first run gives the copy what
the demo data has none of, in one pass of SQL: three tags (on 2 %, 10 % and 33 % of the customers, as the tag
service would write them) and memberships for a third of the customers (expiring from 60 days ago to 300 days
ahead). Every case is requested once a round through the Flask test client, logged in: two rounds to warm up,
then --repeat timed rounds (round by round, so a shared machine's changes of speed weigh on every case alike);
the Markdown table gives median and p95 in milliseconds.
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
import list_page
from sqlalchemy import func, select, text

from crm.extensions import db
from crm.models import Customer, Membership, Tag

TAGS = (("Wholesale", 50), ("Gift buyer", 10), ("Local pickup", 3))  # on every Nth customer: 2 %, 10 %, 33 %


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy of the list benchmark's database")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per case (after 2 warm-ups)")
    parser.add_argument("--only", default="", help="time only the cases whose query string contains this text")
    return parser.parse_args(argv)


def add_tags_and_memberships() -> None:
    """Tags and memberships on the copy, once (the demo generator makes neither)."""
    if not db.session.scalar(select(func.count()).select_from(Tag)):
        for number, (name, every) in enumerate(TAGS, start=1):
            db.session.execute(text("INSERT INTO tag (id, name, name_key, customers, created_at) "
                                    "VALUES (:id, :name, :key, 0, CURRENT_TIMESTAMP)"),
                               {"id": number, "name": name, "key": name.casefold()})
            db.session.execute(text("INSERT INTO customer_tag (customer_id, tag_id) "
                                    "SELECT id, :tag FROM customer WHERE id % :every = 0"),
                               {"tag": number, "every": every})
        db.session.execute(text("UPDATE tag SET customers = "
                                "(SELECT count(*) FROM customer_tag WHERE tag_id = tag.id)"))
    if not db.session.scalar(select(func.count()).select_from(Membership)):
        db.session.execute(text(
            "INSERT INTO membership (customer_id, membership_id, expires_on) SELECT id, 'BENCH' || id, "
            "date('now', ((id % 360) - 60) || ' days') FROM customer WHERE id % 3 = 1"))
    db.session.commit()


def cases(city: dict[str, str]) -> list[tuple[dict, bool]]:
    """(query arguments, htmx?) for every case: the unfiltered page first, then filters with tabs and sorts."""
    plain = [({}, False), ({"segment": "vip", "sort": "spent", "dir": "desc"}, False),
             ({"segment": "returning", "sort": "name", "dir": "asc"}, False), ({}, True)]
    filtered = [
        {"tag": "Wholesale"},
        {"tag": "Local pickup", "segment": "vip", "sort": "name", "dir": "asc"},
        {"tag": ["Wholesale", "Gift buyer"], "tag_mode": "all", "sort": "spent", "dir": "desc"},
        {"tag": "Gift buyer", "tag_mode": "none", "segment": "returning", "sort": "last_order", "dir": "desc"},
        {"spent_min": "500", "sort": "name", "dir": "asc"},
        {"spent_min": "2000", "spent_max": "3000", "segment": "vip", "sort": "orders", "dir": "desc"},
        {"spent_min": "99999999", "sort": "name", "dir": "asc"},
        {"orders_min": "3", "orders_max": "5", "segment": "returning", "sort": "created", "dir": "asc"},
        {"last_order_after": "2026-01-01", "last_order_before": "2026-03-31", "sort": "last_order", "dir": "desc"},
        {"lapsed_days": "180", "segment": "vip", "sort": "spent", "dir": "desc"},
        {"since_after": "2025-06-01", "since_before": "2025-06-30", "sort": "name", "dir": "asc"},
        {"membership": "active", "segment": "new"},
        {"membership": "expiring", "expiring_days": "60", "sort": "name", "dir": "asc"},
        {"membership": "none", "segment": "prospect", "sort": "created", "dir": "desc"},
        {"marketing": "yes", "source": "order", "sort": "orders", "dir": "desc"},
        {"marketing": "no", "segment": "prospect", "sort": "created", "dir": "asc"},
        {"source": "import", "sort": "name", "dir": "asc"},
        {"country": "AU", "state": "NSW", "tag": "Local pickup", "sort": "spent", "dir": "desc"},
        {**city, "spent_min": "100", "segment": "returning"},
        {"q": "smith", "orders_min": "2", "sort": "name", "dir": "asc"},
        {"tag": "Wholesale", "spent_min": "100", "orders_min": "2", "last_order_after": "2025-01-01",
         "marketing": "yes", "membership": "active", "segment": "vip", "sort": "name", "dir": "asc"},
        {"tag": "Gift buyer", "lapsed_days": "90", "since_before": "2026-01-01", "source": "order",
         "membership": "expired", "sort": "last_order", "dir": "asc"},
    ]
    return plain + [(args, False) for args in filtered] + [(filtered[0], True), (filtered[-2], True)]


def query_string(args: dict) -> str:
    """The case's arguments as a URL query (repeatable ones repeated)."""
    return urlencode(args, doseq=True)


def main(argv: list[str] | None = None) -> int:
    """Prepare the copy, time every case, print the report; exit 1 when a median misses the target."""
    options = parse_args(argv)
    path = options.db.resolve()
    app = list_page.make_app(path)
    client = app.test_client()
    with app.app_context():
        flask_migrate.upgrade()
        add_tags_and_memberships()
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        tags = ", ".join(f"{t.name} {t.customers:,}" for t in db.session.scalars(select(Tag).order_by(Tag.id)))
        members = db.session.scalar(select(func.count()).select_from(Membership))
        city = list_page.busiest_city()
    login = client.post("/login", data={"email": list_page.OWNER_EMAIL, "password": list_page.OWNER_PASSWORD})
    assert login.status_code == 302, login.status_code
    chosen = [(f"`{query_string(args) or '(defaults)'}`" + (" (htmx)" if htmx else ""), query_string(args), htmx)
              for args, htmx in cases(city)]
    chosen = [case for case in chosen if options.only in case[0]]
    timings = measure(client, chosen, options.repeat)
    rows, slow = [], 0
    for label, _, _ in chosen:
        median, p95 = statistics.median(timings[label]), list_page.percentile(timings[label], 0.95)
        mark = "" if median < list_page.TARGET_MS else " ⚠"
        slow += bool(mark)
        rows.append(f"| {label} | {median:.1f}{mark} | {p95:.1f} |")
        print(f"{label}: {median:.1f} ms", file=sys.stderr)
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: "
          f"`.venv/bin/python benchmarks/list_filters.py {' '.join(sys.argv[1:] if argv is None else argv)}`")
    print()
    print(f"- Machine: {list_page.machine()}")
    print(f"- Data: {customers:,} customers; tags {tags}; {members:,} memberships")
    print(f"- Per case: 2 warm-up rounds, then {options.repeat} timed rounds of every case; server time through the Flask test "
          f"client, logged in as the owner; 25 rows a page. ⚠ marks a median over {list_page.TARGET_MS:.0f} ms.")
    print()
    print("| Case (query string) | Median ms | p95 ms |")
    print("|---|---:|---:|")
    print("\n".join(rows))
    print()
    return list_page.verdict(len(rows), slow, list_page.TARGET_MS)


def measure(client, chosen: list[tuple[str, str, bool]], repeat: int) -> dict[str, list[float]]:
    """Milliseconds of each case's requests, by label: `repeat` rounds in which every case is requested once,
    after two warm-up rounds. Round by round, so a machine that slows down or speeds up during the run (these
    are shared) weighs on every case alike instead of on the cases that happen to come late."""
    timings: dict[str, list[float]] = {label: [] for label, _, _ in chosen}
    for run in range(repeat + 2):
        for label, url_args, htmx in chosen:
            url = "/customers" + ("?" + url_args if url_args else "")
            started = time.perf_counter()
            response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
            took = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            assert b"Ignored" not in response.data, url  # every case's arguments are well formed
            if run >= 2:
                timings[label].append(took)
    return timings


if __name__ == "__main__":
    sys.exit(main())
