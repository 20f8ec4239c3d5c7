"""Twenty checkouts at once against a real gunicorn server: nothing lost, nothing counted twice.

Each of 20 clients sends 200 requests: new orders, retries of its own earlier orders, orders that every
client sends at about the same moment (so the same number races), orders for customers other clients are
ordering for too (email in any case, phone in any format), and refunds. Afterwards the orders, every
customer's figures and the segment counts must be what the requests add up to, and
`flask --app crm recompute-stats` must find nothing to fix. Runs on SQLite, and on PostgreSQL with
`--database postgresql` (a database of its own in the test cluster) with 100 requests a client: every
statement there is a round trip, so the full 4,000 would double the suite's PostgreSQL time, while the same
races (shared numbers, shared customers, opposite segment moves) already happen in the first hundred.
"""

import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crm import create_app
from crm.extensions import db
from crm.models import AuditEvent, Customer, Order, SegmentCount
from crm.services.segments import Standing, segment_for
from crm.services.shop import get_settings

from .conftest import app_config
from .live_server import cli, gunicorn, own_database

pytestmark = pytest.mark.concurrency

CLIENTS = 20
PER_CLIENT = {"sqlite": 200, "postgresql": 100}
EMAIL_PEOPLE = 400
PHONE_PEOPLE = 100
SHARED = 50  # order numbers every client sends (one in four of its requests)
VIP_THRESHOLD = 200_000
SHOP = SimpleNamespace(vip_threshold=VIP_THRESHOLD)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def server_database(database_url, tmp_path):
    """A database of this test's own, migrated, with a VIP threshold the orders cross."""
    with own_database(database_url, tmp_path, "concurrency") as url:
        app = create_app(app_config(url))
        with app.app_context():
            get_settings().vip_threshold = VIP_THRESHOLD
            db.session.commit()
            db.engine.dispose()
        yield url


@pytest.fixture
def server(server_database, tmp_path):
    """gunicorn serving the app on the test's database; yields (port, token)."""
    created = cli(server_database, "tokens", "create", "Load test")
    assert created.returncode == 0, created.stderr
    with gunicorn(server_database, tmp_path) as running:
        yield running.port, created.stdout.strip()


@dataclass
class Person:
    """Who an order is for, and how the checkout identifies them."""

    key: str
    email: str | None
    phone: str  # E.164


def people() -> list[Person]:
    """Customers with an email (some also give a phone), and customers known only by phone."""
    out = [Person(f"e{i}", f"shopper{i}@example.com", f"+614{10_000_000 + i:08d}") for i in range(EMAIL_PEOPLE)]
    out += [Person(f"p{i}", None, f"+614{20_000_000 + i:08d}") for i in range(PHONE_PEOPLE)]
    return out


def spelled(person: Person, with_phone: bool, rng: random.Random) -> dict:
    """The customer object, spelled as different checkouts might: email in any case, phone in any format."""
    customer = {"first_name": f"Shopper {person.key}", "last_name": "Load"}
    if person.email:
        customer["email"] = rng.choice([person.email, person.email.upper(), person.email.capitalize()])
        if with_phone:  # some orders give the phone too; the email decides
            customer["phone"] = person.phone
    else:
        national = "0" + person.phone[3:]
        customer["phone"] = rng.choice([person.phone, national, f"{national[:4]} {national[4:7]} {national[7:]}"])
    return customer


@dataclass
class Planned:
    """An order's content and what it should count for."""

    number: str
    person: Person
    placed_at: datetime
    total: int
    status: str
    seed: int

    def body(self) -> dict:
        """The JSON the checkout sends (the same content every time, however it is spelled)."""
        rng = random.Random()  # spelling differs from send to send; the content doesn't
        return {"order_number": self.number, "placed_at": self.placed_at.isoformat().replace("+00:00", "Z"),
                "status": self.status, "currency": "AUD", "total": f"{self.total // 100}.{self.total % 100:02d}",
                "customer": spelled(self.person, self.seed % 2 == 0, rng),
                "items": [{"name": "Tea towel", "quantity": 1, "unit_price": f"{self.total // 100}.00"}]}


def planned(number: str, rng: random.Random, everyone: list[Person]) -> Planned:
    """A new order for someone in the pool."""
    total = rng.randrange(100, 60_000)
    status = "cancelled" if rng.random() < 0.08 else "paid"
    placed = START + timedelta(minutes=rng.randrange(0, 500_000))
    return Planned(number, rng.choice(everyone), placed, total, status, rng.getrandbits(32))


@dataclass
class ClientLog:
    """What one client sent and got back."""

    posted: list[tuple[str, int]] = field(default_factory=list)  # (order number, status code)
    refunded: list[str] = field(default_factory=list)
    plans: list[Planned] = field(default_factory=list)  # the new orders it made up
    unexpected: list[str] = field(default_factory=list)


def run_client(index: int, port: int, token: str, shared: list[Planned], everyone: list[Person],
               start: threading.Barrier, requests: int) -> ClientLog:
    """One checkout: 200 requests in a mix of new orders, shared ones, retries and refunds."""
    rng = random.Random(1000 + index)
    log = ClientLog()
    mine = log.plans
    # A connection per request, as a checkout's webhook sends them: kept-alive connections would all stay
    # with the worker process that happened to accept them, leaving the other one idle.
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Connection": "close"}

    def call(method: str, path: str, body: dict) -> tuple[int, dict]:
        """One request on a new connection; its status and JSON."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    start.wait()
    for j in range(requests):
        roll = rng.random()
        if j % 4 == 0:  # every client sends shared order k at about the same time
            order = shared[(j // 4) % SHARED]
        elif roll < 0.12 and mine:
            order = rng.choice(mine)  # a retry
        elif roll < 0.18 and [m for m in mine if m.number not in log.refunded]:
            target = rng.choice([m for m in mine if m.number not in log.refunded])
            status, body = call("PATCH", f"/api/v1/orders/{target.number}", {"status": "refunded"})
            if status != 200 or body.get("status") != "refunded":
                log.unexpected.append(f"PATCH {target.number}: {status} {body}")
            log.refunded.append(target.number)
            continue
        else:
            order = planned(f"C{index:02d}-{j:03d}", rng, everyone)
            mine.append(order)
        status, body = call("POST", "/api/v1/orders", order.body())
        if status not in (200, 201) or body.get("order_number") != order.number:
            log.unexpected.append(f"POST {order.number}: {status} {body}")
        log.posted.append((order.number, status))
    return log


def test_twenty_clients_lose_nothing_and_count_nothing_twice(server, server_database):
    port, token = server
    per_client = PER_CLIENT[make_url(server_database).get_backend_name()]
    everyone = people()
    rng = random.Random(7)
    shared = [planned(f"S-{k:03d}", rng, everyone) for k in range(SHARED)]
    barrier = threading.Barrier(CLIENTS)
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        logs = list(pool.map(lambda i: run_client(i, port, token, shared, everyone, barrier, per_client),
                             range(CLIENTS)))
    took = time.perf_counter() - started
    requests = sum(len(log.posted) + len(log.refunded) for log in logs)
    print(f"\n{requests} requests from {CLIENTS} clients in {took:.1f}s ({requests / took:.0f}/s)")
    assert [u for log in logs for u in log.unexpected] == []
    created = Counter(number for log in logs for number, status in log.posted if status == 201)
    sent = {number for log in logs for number, _ in log.posted}
    assert set(created) == sent and set(created.values()) == {1}, "each order number is created exactly once"

    # What the orders should add up to, per person.
    used_shared = {p.number: p for p in shared[:per_client // 4]}
    plans = used_shared | {p.number: p for log in logs for p in log.plans}
    assert set(plans) == sent
    refunded = {n for log in logs for n in log.refunded}
    expected: dict[str, list[Planned]] = defaultdict(list)
    for plan in plans.values():
        if plan.status == "paid" and plan.number not in refunded:
            expected[plan.person.key].append(plan)

    app = create_app(app_config(server_database))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == len(sent)
        statuses = dict(db.session.execute(select(Order.order_number, Order.status)).all())
        assert {n for n, s in statuses.items() if s == "refunded"} == refunded
        customers = db.session.scalars(select(Customer)).all()
        by_key = {}
        for c in customers:
            key = c.first_name.removeprefix("Shopper ")
            assert key not in by_key, f"two customers for {key}"
            by_key[key] = c
        used = {plan.person.key for plan in plans.values()}
        assert set(by_key) == used
        segments = Counter()
        for key, customer in by_key.items():
            paid = expected.get(key, [])
            total = sum(p.total for p in paid)
            want = (len(paid), total, min((p.placed_at for p in paid), default=None),
                    max((p.placed_at for p in paid), default=None), segment_for(Standing(len(paid), total), SHOP))
            got = (customer.order_count, customer.total_spent, customer.first_order_at, customer.last_order_at,
                   customer.segment)
            assert got == want, key
            segments[customer.segment] += 1
        kept = dict(db.session.execute(select(SegmentCount.segment, SegmentCount.customers)).all())
        assert {k: v for k, v in kept.items() if v} == dict(segments)
        assert len(segments) >= 3, segments  # the mix reaches several segments
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "order")) == len(sent) + len(refunded)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "create")) == len(by_key)
        db.engine.dispose()

    check = cli(server_database, "recompute-stats")
    assert check.returncode == 0, check.stderr
    assert "All customer figures were right" in check.stdout, check.stdout
