"""Server time of street suggestions (GET /addresses/suggest) with a big shop's addresses in SQLite.

    .venv/bin/python benchmarks/address_suggest.py [--customers 100000] [--db PATH] [--rebuild] [--repeat 50]

The data is built once (migrations, `crm.demo.generate` with no orders, an owner account) and reused
while it has the asked-for number of customers. The bundled gazetteer is then loaded afresh, timed, as the
first suggestion after an install or upgrade loads it. Each case is requested twice to warm up, then
--repeat times through the Flask test client, logged in, as htmx asks for it; the Markdown table gives
median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import sqlalchemy
from sqlalchemy import delete, func, select

from crm import create_app, demo
from crm.extensions import db
from crm.models import Address, Customer, GazetteerSource, Locality
from crm.services import accounts, gazetteer

# Beside the customer-list benchmark, whose helpers (percentile, machine line) this one shares.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_page import machine, percentile, remove_database, verdict

TARGET_MS = 20.0
OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "benchmark password"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/addresses.sqlite"))
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it exists")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per case (after 2 warm-ups)")
    return parser.parse_args(argv)


def make_app(path: Path):
    """The app on the benchmark database, as production runs it (no TESTING), without the login rate limit."""
    return create_app({"TESTING": False, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                       "DATABASE_URL": f"sqlite:///{path}", "RATELIMIT_ENABLED": False})


def ready(path: Path, customers: int) -> bool:
    """Whether the file already holds a built shop of the asked-for size, migrated to the newest revision."""
    if not path.exists():
        return False
    app = make_app(path)
    try:
        with app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Customer))
            db.session.scalar(select(func.count()).select_from(Locality))  # raises before migration 0005
            return count == customers and accounts.owner_exists()
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    finally:
        with app.app_context():
            db.engine.dispose()


def build(path: Path, customers: int) -> None:
    """Migrate a new database, fill it with demo customers and their addresses, create the owner."""
    remove_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    app = make_app(path)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        demo.generate(customers, orders_per_customer=0, seed=1,
                      progress=lambda msg: print(f"  {msg}", file=sys.stderr))
        print(f"built {customers:,} customers in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        accounts.create_owner("Benchmark shop", OWNER_EMAIL, OWNER_PASSWORD)
        db.session.commit()
        db.engine.dispose()


def own_address_cases() -> list[tuple[str, str, str]]:
    """(case, typed text, country) for streets the shop has delivered to: one AU, one MY, both as an owner
    would type them again (house number, street, the start of the suburb)."""
    cases = []
    for country in ("AU", "MY"):
        street, city = db.session.execute(
            select(Address.street, Address.city).where(Address.country == country)
            .order_by(Address.id).limit(1).offset(5000)).one()
        typed = f"{street} {city.split()[0][:4]}"
        cases.append((f"own {country} address", typed, country))
    return cases


def cases(own: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(case, typed text, shop country) for every case measured."""
    return [
        ("street + suburb prefix", "12 Smith St parra", "AU"),
        ("suburb", "parramatta", "AU"),
        ("suburb prefix", "parra", "AU"),
        ("two-word suburb", "st kilda", "AU"),
        ("street + suburb + state + postcode", "12 Smith St Parramatta NSW 2150", "AU"),
        ("postcode", "2150", "AU"),
        ("street still being typed", "12 Smith St", "AU"),
        ("MY city", "kuala lumpur", "MY"),
        ("MY postcode", "50450", "MY"),
        ("MY street + postcode", "Jalan Ampang 50450", "MY"),
        ("MY street + postcode + city", "5, Jalan Ampang, 50450 Kuala Lumpur", "MY"),
        *own,
        ("word in many own addresses", "jalan", "MY"),
        ("miss", "zzzz qqqq", "AU"),
    ]


def measure(client, typed: str, country: str, repeat: int) -> tuple[list[float], int]:
    """Milliseconds for each of `repeat` requests of one case after two warm-ups, and the options answered."""
    timings = []
    options = 0
    for run in range(repeat + 2):
        started = time.perf_counter()
        response = client.get("/addresses/suggest", query_string={"street": typed, "country": country},
                              headers={"HX-Request": "true"})
        took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (typed, response.status_code)
        assert b"<html" not in response.data
        options = response.data.count(b'role="option"')
        if run >= 2:
            timings.append(took)
    return timings, options


def first_option(client, typed: str, country: str) -> str:
    """The first option's text, to show what a case answers."""
    html = client.get("/addresses/suggest", query_string={"street": typed, "country": country},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    start = html.find('">', html.find("<li"))
    return html[start + 2:html.find("</li>")] if start > 1 else "(none)"


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data, time the gazetteer load and every case, print the report; exit 1 when a
    median misses the target."""
    options = parse_args(argv)
    path = options.db.resolve()
    if options.rebuild or not ready(path, options.customers):
        print(f"building {path} ...", file=sys.stderr)
        build(path, options.customers)
    app = make_app(path)
    client = app.test_client()
    login = client.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert login.status_code == 302, login.status_code
    with app.app_context():
        db.session.execute(delete(GazetteerSource))  # as if the file were new: the next suggestion loads it
        db.session.commit()
        addresses = db.session.scalar(select(func.count()).select_from(Address))
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        own = own_address_cases()
    started = time.perf_counter()
    first = client.get("/addresses/suggest", query_string={"street": "parra"}, headers={"HX-Request": "true"})
    load_s = time.perf_counter() - started
    assert first.status_code == 200 and b"Parramatta" in first.data
    with app.app_context():
        localities = dict(db.session.execute(
            select(Locality.country, func.count()).group_by(Locality.country)).all())

    rows, slow = [], []
    for name, typed, country in cases(own):
        timings, answered = measure(client, typed, country, options.repeat)
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        mark = "" if median < TARGET_MS else " ⚠"
        shown = first_option(client, typed, country).replace("|", "\\|")
        rows.append(f"| {name} | `{typed}` ({country}) | {answered} | {shown} | {median:.1f}{mark} | {p95:.1f} |")
        if mark:
            slow.append(name)
        print(f"{typed}: {median:.1f} ms", file=sys.stderr)

    given = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python benchmarks/address_suggest.py", *given])
    print(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `{command}`")
    print()
    print(f"- Machine: {machine()}")
    print(f"- Data: {customers:,} customers with {addresses:,} addresses; gazetteer "
          f"{sum(localities.values()):,} localities ({', '.join(f'{k} {v:,}' for k, v in localities.items())}), "
          f"`{gazetteer.DATA_FILE.name}` sha256 {gazetteer.file_digest()[:12]}…")
    print(f"- First suggestion after a new gazetteer file (loads it): {load_s * 1000:,.0f} ms")
    print(f"- Per case: 2 warm-up requests, then {options.repeat} timed; server time through the Flask test "
          f"client, logged in as the owner, `HX-Request: true`, local provider, 8 options at most. "
          f"⚠ marks a median over {TARGET_MS:.0f} ms.")
    print()
    print("| Case | Typed (shop country) | Options | First option | Median ms | p95 ms |")
    print("|---|---|---:|---|---:|---:|")
    print("\n".join(rows))
    print()
    return verdict(len(rows), len(slow), TARGET_MS)


if __name__ == "__main__":
    sys.exit(main())
