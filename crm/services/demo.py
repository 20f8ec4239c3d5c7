"""Demo data: a realistic Australian and Malaysian shop, fast enough for 100,000 customers and 1M orders.

Faker is slow per call, so it only fills pools of names, streets and towns once; a seeded `random.Random`
combines them. Rows go in as batched executemany INSERTs with primary keys handed out here, so order items
can point at their order without a round trip. The lifetime figures and segments are left to
`stats.recompute_all` and the search fields to `customers.refresh_search_fields`, the services that own them.
"""

from __future__ import annotations

import math
import random
import string
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from operator import methodcaller

from faker import Faker
from sqlalchemy import DateTime, func, insert, select
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from stdnum.au import abn

from ..extensions import db
from ..models import Address, Customer, Order, OrderItem
from .customers import refresh_search_fields
from .shop import get_settings
from .stats import recompute_all

CUSTOMER_BATCH = 10_000
ORDER_BATCH = 25_000
BULK_CACHE_KIB = 128 * 1024
PERIOD = timedelta(days=3 * 365)  # how far back customers go
# Reserved by RFC 2606, so no demo email can ever reach a real person.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Mobile prefixes that phonenumbers accepts as valid for every subscriber number that follows
# (checked with phonenumbers 9.0), as (prefix, digits after it).
AU_MOBILES = tuple((p, 7) for p in ("+6140", "+6141", "+6142", "+6143", "+6146")) + tuple(
    (p, 6) for p in ("+61450", "+61451", "+61452", "+61455", "+61457", "+61477", "+61478", "+61481",
                     "+61487", "+61488", "+61490", "+61491"))
MY_MOBILES = tuple((p, 7) for p in ("+6012", "+6016", "+6019")) + tuple(
    (p, 6) for p in ("+60102", "+60103", "+60106", "+60108", "+60132", "+60133", "+60137", "+60138",
                     "+60142", "+60143", "+60172", "+60173", "+60176", "+60177", "+60182")) + tuple(
    (p, 7) for p in ("+60111", "+60112", "+60113", "+60114", "+60115"))

# State -> (share of customers,); shares follow population.
AU_STATES = {"NSW": (31,), "VIC": (26,), "QLD": (20,), "WA": (11,), "SA": (7,), "TAS": (2,), "ACT": (2,), "NT": (1,)}
# Real localities with their own postcodes, so a demo address reads like a real one (Faker's en_AU cities
# are made-up names such as "West Marciafort").
AU_LOCALITIES = {
    "NSW": (("Parramatta", "2150"), ("Bondi", "2026"), ("Manly", "2095"), ("Newtown", "2042"),
            ("Chatswood", "2067"), ("Penrith", "2750"), ("Liverpool", "2170"), ("Blacktown", "2148"),
            ("Hornsby", "2077"), ("Surry Hills", "2010"), ("Randwick", "2031"), ("Cronulla", "2230"),
            ("Newcastle", "2300"), ("Wollongong", "2500"), ("Gosford", "2250"), ("Orange", "2800"),
            ("Wagga Wagga", "2650"), ("Dubbo", "2830"), ("Byron Bay", "2481"), ("Tamworth", "2340"),
            ("Albury", "2640"), ("Coffs Harbour", "2450"), ("Bathurst", "2795"), ("Castle Hill", "2154"),
            ("Marrickville", "2204")),
    "VIC": (("Melbourne", "3000"), ("Fitzroy", "3065"), ("St Kilda", "3182"), ("Richmond", "3121"),
            ("Brunswick", "3056"), ("Footscray", "3011"), ("Geelong", "3220"), ("Ballarat", "3350"),
            ("Bendigo", "3550"), ("Box Hill", "3128"), ("Frankston", "3199"), ("Dandenong", "3175"),
            ("Werribee", "3030"), ("Carlton", "3053"), ("Hawthorn", "3122"), ("Camberwell", "3124"),
            ("Shepparton", "3630"), ("Mildura", "3500"), ("Warrnambool", "3280"), ("Preston", "3072")),
    "QLD": (("Brisbane City", "4000"), ("Fortitude Valley", "4006"), ("South Brisbane", "4101"),
            ("Southport", "4215"), ("Surfers Paradise", "4217"), ("Toowoomba", "4350"), ("Cairns", "4870"),
            ("Townsville", "4810"), ("Mackay", "4740"), ("Rockhampton", "4700"), ("Bundaberg", "4670"),
            ("Ipswich", "4305"), ("Maroochydore", "4558"), ("Noosa Heads", "4567"), ("Hervey Bay", "4655"),
            ("Indooroopilly", "4068"), ("Chermside", "4032")),
    "WA": (("Perth", "6000"), ("Fremantle", "6160"), ("Subiaco", "6008"), ("Joondalup", "6027"),
           ("Rockingham", "6168"), ("Mandurah", "6210"), ("Bunbury", "6230"), ("Geraldton", "6530"),
           ("Albany", "6330"), ("Scarborough", "6019"), ("Midland", "6056"), ("Armadale", "6112")),
    "SA": (("Adelaide", "5000"), ("Glenelg", "5045"), ("Norwood", "5067"), ("Prospect", "5082"),
           ("Mount Gambier", "5290"), ("Whyalla", "5600"), ("Port Adelaide", "5015"), ("Unley", "5061"),
           ("Salisbury", "5108"), ("Mount Barker", "5251")),
    "TAS": (("Hobart", "7000"), ("Launceston", "7250"), ("Devonport", "7310"), ("Burnie", "7320"),
            ("Sandy Bay", "7005"), ("Kingston", "7050")),
    "ACT": (("Canberra", "2601"), ("Belconnen", "2617"), ("Braddon", "2612"), ("Kingston", "2604"),
            ("Gungahlin", "2912"), ("Phillip", "2606")),
    "NT": (("Darwin", "0800"), ("Palmerston", "0830"), ("Alice Springs", "0870"), ("Katherine", "0850"),
           ("Nightcliff", "0810")),
}
# State -> (share of customers, postcode ranges); shares follow population, ranges the postal authority.
MY_STATES = {
    "Selangor": (22, ((40000, 48300), (63000, 68100))),
    "Johor": (12, ((79000, 86900),)),
    "Sabah": (10, ((88000, 91309),)),
    "Sarawak": (8, ((93000, 98859),)),
    "Perak": (8, ((30000, 36810),)),
    "Wilayah Persekutuan Kuala Lumpur": (7, ((50000, 60000),)),
    "Pulau Pinang": (6, ((10000, 14400),)),
    "Kedah": (6, ((5000, 9810),)),
    "Kelantan": (5, ((15000, 18500),)),
    "Pahang": (5, ((25000, 28800),)),
    "Terengganu": (4, ((20000, 24300),)),
    "Negeri Sembilan": (4, ((70000, 73509),)),
    "Melaka": (3, ((75000, 78309),)),
    "Perlis": (1, ((1000, 2800),)),
    "Wilayah Persekutuan Putrajaya": (0.5, ((62000, 62988),)),
    "Wilayah Persekutuan Labuan": (0.3, ((87000, 87033),)),
}
PRODUCTS = (
    "Merino wool beanie", "Linen tote bag", "Ceramic pour-over set", "Bamboo toothbrush 4-pack",
    "Soy wax candle", "Organic cotton tee", "Stainless steel bottle", "Leather card holder",
    "Kaya jam gift box", "Batik silk scarf", "Rattan coaster set", "Beeswax food wraps",
    "Macadamia granola", "Wattleseed chocolate", "Pandan chiffon mix", "Sambal paste jar",
    "Eucalyptus hand cream", "Tea tree face wash", "Kopi beans 500 g", "Sencha green tea",
    "Yoga mat", "Running socks 3-pack", "Canvas sneakers", "Swimmers", "Sun hat", "Thongs",
    "Phone case", "USB-C cable", "Wireless earbuds", "Desk lamp", "Notebook A5", "Fountain pen",
    "Kids' puzzle", "Plush koala", "Songket cushion cover", "Durian biscuits", "Gift card",
)
ORDER_NOTES = ("Gift wrap please", "Leave at the front door", "Please call on arrival", "Birthday present",
               "Sila hantar selepas 6 petang")

CUSTOMER_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn", "password_hash",
    "email_marketing", "email_marketing_at", "email_marketing_method", "source", "created_at", "updated_at",
    "order_count", "total_spent", "first_order_at", "last_order_at", "segment", "search_text", "name_key",
)
ADDRESS_COLUMNS = ("id", "customer_id", "street", "city", "state", "postcode", "country")
ORDER_COLUMNS = ("id", "order_number", "customer_id", "placed_at", "status", "currency", "total", "note",
                 "created_at", "updated_at")
ITEM_COLUMNS = ("id", "order_id", "name", "quantity", "unit_price")


@dataclass(frozen=True)
class DemoResult:
    """How many customers and orders a demo run created."""

    customers: int
    orders: int


class _Person:
    """The fields the search helpers read, so a customer row gets exactly the values the service gives it."""

    __slots__ = ("first_name", "last_name", "email", "company_name", "phone", "whatsapp",
                 "search_text", "name_key")
    full_name = Customer.full_name  # the model's own rule for joining the names

    def __init__(self, first_name, last_name, email, company_name, phone, whatsapp):
        """Hold one customer's names and contacts."""
        self.first_name, self.last_name, self.email = first_name, last_name, email
        self.company_name, self.phone, self.whatsapp = company_name, phone, whatsapp


@dataclass
class _Pools:
    """Names, streets, towns and companies drawn from Faker once per run."""

    au_first: list[str]
    au_last: list[str]
    au_streets: list[str]
    au_companies: list[str]
    my_streets: list[str]
    my_cities: list[str]
    malay_male: list[str]
    malay_female: list[str]
    chinese_given: list[str]
    chinese_family: list[str]
    indian_first: list[str]
    indian_last: list[str]


def _unique(make: Callable[[], str], size: int) -> list[str]:
    """Up to `size` distinct values from a Faker method, in a stable order."""
    return list(dict.fromkeys(make() for _ in range(size)))


def _draws(make: Callable[[], str], size: int) -> list[str]:
    """`size` values from a Faker method, repeats kept so common names stay common (Smith over Zamora)."""
    return [make() for _ in range(size)]


@lru_cache(maxsize=4)  # repeated runs (tests, benchmarks) skip the slow Faker part
def _pools(seed: int) -> _Pools:
    """Build the pools with Faker (the only Faker calls of a run)."""
    # Faker 40 ships no ms_MY locale: en_MS has Malaysian addresses, id_ID Malay given names,
    # zh_CN romanised Chinese names and en_IN Indian names, which is Malaysia's mix.
    au, my, malay, chinese, indian = (Faker(loc) for loc in ("en_AU", "en_MS", "id_ID", "zh_CN", "en_IN"))
    for offset, fake in enumerate((au, my, malay, chinese, indian)):
        fake.seed_instance(seed + offset)
    given = _unique(chinese.first_romanized_name, 300)
    short = [g for g in given if len(g) <= 4]
    return _Pools(
        au_first=_draws(au.first_name, 3000),
        au_last=_draws(au.last_name, 3000),
        au_streets=_unique(au.street_name, 2000),
        au_companies=[_australian_company(c) for c in _unique(au.company, 1000)],
        my_streets=_unique(my.street_name, 2000),
        # Bare codes such as "PJU28e" read like typos in a list; keep the named townships.
        my_cities=[c for c in _unique(my.city, 1500) if " " in c],
        malay_male=_draws(malay.first_name_male, 1500),
        malay_female=_draws(malay.first_name_female, 1500),
        # Malaysian Chinese given names are often two syllables ("Wei Ming").
        chinese_given=given + [f"{a} {b}" for a in short for b in short if a != b],
        chinese_family=_draws(chinese.last_romanized_name, 500),
        indian_first=_draws(indian.first_name, 1500),
        indian_last=_draws(indian.last_name, 1500),
    )


def _australian_company(name: str) -> str:
    """Faker's US-style company name with the suffix an Australian business would use."""
    for suffix in (" LLC", " PLC", " Inc", " Ltd", " Group"):
        if name.endswith(suffix):
            return name.removesuffix(suffix) + " Pty Ltd"
    return name


@dataclass
class _Run:
    """What one run has decided up front; the row builders read it and never touch the database."""

    rng: random.Random
    pools: _Pools
    token: str
    now: datetime  # naive UTC, like every time below
    stored: Callable[[datetime], object]
    created: list[datetime]
    counts: list[int]
    first_customer: int
    first_address: int
    first_order: int
    first_item: int
    currency: str
    order_median: float


def generate(count: int, orders_per_customer: float = 10.0, seed: int | None = None,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    """Add `count` demo customers and about `orders_per_customer` orders each; call inside an app context."""
    say = progress or (lambda _msg: None)
    seed = random.randrange(2**32) if seed is None else seed
    rng = random.Random(seed)
    settings = get_settings()
    # Naive UTC throughout: it is what UTCDateTime columns hold, and it saves a conversion per value.
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    # Oldest first, so ids grow with created_at as in a real shop; a power skews towards recent sign-ups.
    ages = sorted((PERIOD.total_seconds() * rng.random() ** 1.4 + 3600 for _ in range(count)), reverse=True)
    # Older customers have had longer to order; the noise keeps some new big spenders and old prospects.
    by_seniority = sorted(range(count), key=lambda i: -ages[i] * rng.lognormvariate(0, 1.0))
    counts = [0] * count
    for i, n in zip(by_seniority, _order_counts(rng, count, orders_per_customer)):
        counts[i] = n
    run = _Run(
        rng=rng, pools=_pools(seed), token=_run_token(rng), now=now, stored=_time_storer(),
        created=[now - timedelta(seconds=int(age)) for age in ages], counts=counts,
        first_customer=_next_id(Customer), first_address=_next_id(Address), first_order=_next_id(Order),
        first_item=_next_id(OrderItem), currency=settings.currency,
        # Amounts follow the VIP threshold (median order 6% of it: $60 at the default $1,000), so every
        # segment fills whatever the shop's currency or threshold.
        order_median=settings.vip_threshold * 0.06,
    )
    customers = _Writer(Customer, CUSTOMER_COLUMNS, run.stored)
    addresses = _Writer(Address, ADDRESS_COLUMNS, run.stored)
    orders = _Writer(Order, ORDER_COLUMNS, run.stored)
    items = _Writer(OrderItem, ITEM_COLUMNS, run.stored)
    ordered = 0
    with _sqlite_cache():
        report = _Progress(say, "customers", count)
        for customer_rows, address_rows, done in _customer_batches(run):
            customers.write(customer_rows)
            addresses.write(address_rows)
            report(done)
        report = _Progress(say, "orders", sum(counts))
        for order_rows, item_rows, ordered in _order_batches(run):
            orders.write(order_rows)
            items.write(item_rows)
            report(ordered)
        say("figures")
        recompute_all()
    _reset_sequences()
    db.session.commit()
    return DemoResult(customers=count, orders=ordered)


class _Progress:
    """Reports a count about every tenth of the way, and at the end."""

    def __init__(self, say: Callable[[str], None], what: str, total: int):
        """Report `what` out of `total` through `say`."""
        self.say, self.what, self.total = say, what, total
        self.step = max(1, total // 10)
        self.next = self.step

    def __call__(self, done: int) -> None:
        """Note that `done` have been written."""
        if done >= self.next or done == self.total:
            self.say(f"{self.what} {done:,}")
            self.next = (done // self.step + 1) * self.step


def _customer_batches(run: _Run) -> Iterator[tuple[list[tuple], list[tuple], int]]:
    """Customer and address rows, a batch at a time, with how many customers so far."""
    rng, pools, now, stored = run.rng, run.pools, run.now, run.stored
    rand = rng.random
    au_states, au_cum = _weighted(AU_STATES)
    my_states, my_cum = _weighted(MY_STATES)
    used_phones: set[str] = set()
    address_id = run.first_address
    customers: list[tuple] = []
    addresses: list[tuple] = []
    for i, (created, n_orders) in enumerate(zip(run.created, run.counts)):
        cid = run.first_customer + i
        au = rand() < 0.7
        first, last = _name(rng, pools, au)
        if n_orders or rand() < 0.85:  # anyone who ordered left an email; some followers didn't
            email = f"{_email_local(rng, first, last)}.{run.token}{cid}@{EMAIL_DOMAINS[int(rand() * 3)]}"
        else:
            email = None
        mobiles = AU_MOBILES if au else MY_MOBILES
        phone = _phone(rng, mobiles, used_phones) if rand() < 0.85 else None
        whatsapp = _phone(rng, mobiles, used_phones) if phone and rand() < 0.4 else None
        company = abn = None
        if rand() < 0.15:
            if au:
                company = rng.choice(pools.au_companies)
                abn = _abn(rng) if rand() < 0.6 else None
            else:
                family = rng.choice(pools.chinese_family if rand() < 0.6 else pools.malay_male)
                company = f"{family} {rng.choice(('Trading', 'Enterprise', 'Holdings', 'Niaga'))} Sdn. Bhd."
        marketing = rand() < 0.35
        if n_orders:
            source = rng.choices(("order", "import", "manual"), cum_weights=(85, 95, 100))[0]
        else:
            source = rng.choices(("follow", "manual", "import"), cum_weights=(50, 75, 100))[0]
        person = _Person(first, last, email, company, phone, whatsapp)
        refresh_search_fields(person)
        created_at = stored(created)
        # Figures start empty: recompute_all fills them from the orders.
        customers.append((
            cid, first, last, email, phone, whatsapp, company, abn, None,
            marketing, stored(created + (now - created) * rand()) if marketing else None,
            "demo" if marketing else None, source, created_at, created_at,
            0, 0, None, None, "prospect", person.search_text, person.name_key,
        ))
        if rand() < 0.9:
            addresses.append(_address(rng, pools, au, address_id, cid, au_states if au else my_states,
                                      au_cum if au else my_cum))
            address_id += 1
        if len(customers) >= CUSTOMER_BATCH:
            yield customers, addresses, i + 1
            customers, addresses = [], []
    if customers:
        yield customers, addresses, len(run.created)


def _order_batches(run: _Run) -> Iterator[tuple[list[tuple], list[tuple], int]]:
    """Order rows and their 1-3 item rows adding up to each total, a batch at a time, with orders so far."""
    rng, now, stored, currency = run.rng, run.now, run.stored, run.currency
    rand, gauss, choice, exp = rng.random, rng.gauss, rng.choice, math.exp
    order_id, item_id = run.first_order, run.first_item
    width = max(6, len(str(sum(run.counts))))  # fixed width keeps order numbers sorting like numbers
    prefix = f"D{run.token.upper()}-"
    log_median = math.log(run.order_median)
    smallest = max(1, round(run.order_median / 60))  # $1.00 at the default threshold
    n_products = len(PRODUCTS)
    two_days = timedelta(days=2)
    orders: list[tuple] = []
    items: list[tuple] = []
    done = 0
    for index, n_orders in enumerate(run.counts):
        if not n_orders:
            continue
        customer_id = run.first_customer + index
        since = run.created[index]
        span = (now - since).total_seconds() - 2
        # Each customer spends at their own level, so lifetime spend varies more than order counts.
        log_level = log_median + gauss(0, 0.5)
        for offset in sorted([rand() for _ in range(n_orders)]):
            placed = since + timedelta(seconds=int(1 + offset * span))
            placed_at = stored(placed)
            roll = rand()
            status = "paid" if roll < 0.92 else "refunded" if roll < 0.97 else "cancelled"
            total = max(smallest, int(exp(log_level + gauss(0, 0.9))))
            done += 1
            orders.append((
                order_id, f"{prefix}{done:0{width}d}", customer_id, placed_at, status, currency, total,
                choice(ORDER_NOTES) if rand() < 0.02 else None, placed_at,
                placed_at if status == "paid" else stored(min(now, placed + two_days)),
            ))
            # Earlier lines take a share at a whole unit price; the last line absorbs what is left.
            shape = rand()
            left = total
            for _ in range(0 if shape < 0.55 else 1 if shape < 0.85 else 2):
                quantity = 1 if rand() < 0.75 else 2 + (rand() < 0.5)
                unit = int(left * (0.2 + 0.5 * rand())) // quantity
                items.append((item_id, order_id, PRODUCTS[int(rand() * n_products)], quantity, unit))
                left -= unit * quantity
                item_id += 1
            items.append((item_id, order_id, PRODUCTS[int(rand() * n_products)], 1, left))
            item_id += 1
            order_id += 1
        if len(orders) >= ORDER_BATCH:
            yield orders, items, done
            orders, items = [], []
    if orders:
        yield orders, items, done


class _Writer:
    """Batched INSERTs of plain tuples straight to the driver: the ORM's and Core's per-row work would
    dominate a million rows. Values must already be what the database stores (see _time_storer)."""

    def __init__(self, model, columns: tuple[str, ...], stored: Callable[[datetime], object]):
        """Prepare the INSERT of `columns` (plus other columns' Python defaults) into the model's table."""
        dialect = db.session.connection().dialect
        table = model.__table__
        # Columns added to the model later still get their defaults, as an ORM insert would give them.
        self.extra = _python_defaults(table, columns, stored)
        self.columns = columns + tuple(self.extra)
        marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        prep = dialect.identifier_preparer
        self.sql = None if marker is None else (
            f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in self.columns)}) "
            f"VALUES ({', '.join([marker] * len(self.columns))})")
        # Untyped columns for drivers with other parameter styles: the values are already processed.
        self.light = sa_table(table.name, *(sa_column(c) for c in self.columns))

    def write(self, rows: list[tuple]) -> None:
        """Insert the rows (tuples in column order) with one executemany."""
        if not rows:
            return
        if self.extra:
            tail = tuple(self.extra.values())
            rows = [row + tail for row in rows]
        if self.sql is None:
            db.session.execute(insert(self.light), [dict(zip(self.columns, row)) for row in rows])
        else:
            db.session.connection().exec_driver_sql(self.sql, rows)


def _python_defaults(table, given: tuple[str, ...], stored: Callable[[datetime], object]) -> dict:
    """Values of the Python-side defaults of the columns not in `given`, ready to store."""
    out = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or not (default.is_scalar or default.is_callable):
            continue
        try:
            value = default.arg(None) if default.is_callable else default.arg
        except Exception:  # a default that needs the statement's context: leave it to the database
            continue
        if isinstance(value, datetime):
            value = stored(value.astimezone(timezone.utc).replace(tzinfo=None))
        out[column.name] = value
    return out


def _time_storer() -> Callable[[datetime], object]:
    """Turns a naive UTC datetime into what a UTCDateTime column holds on this database, as the dialect's
    own DateTime processing would (text on SQLite, the datetime itself on PostgreSQL)."""
    dialect = db.session.connection().dialect
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    probe = datetime(2001, 2, 3, 4, 5, 6, 7)
    if process(probe) == probe.isoformat(" ", "microseconds"):
        # The same text written in C: SQLAlchemy's formatter is a visible share of a million-order run.
        return methodcaller("isoformat", " ", "microseconds")
    return process


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """SQLite only: a bigger page cache for this connection while loading, then the old size again.

    With the default 2 MB, inserting into the random-order indexes (names, emails, order dates) spills
    pages to the WAL over and over; this halves the run time. Other databases are left alone.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar())
    connection.exec_driver_sql(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")


def _reset_sequences() -> None:
    """PostgreSQL: move the id sequences past the keys handed out here, so later inserts don't collide."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for model in (Customer, Address, Order, OrderItem):
        table = model.__table__
        db.session.execute(select(func.setval(
            func.pg_get_serial_sequence(table.fullname, "id"),
            select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(),
            False,
        )))


def _next_id(model) -> int:
    """The first free primary key of a model's table."""
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1


def _run_token(rng: random.Random) -> str:
    """Letters that mark this run's emails and order numbers, used by no earlier row."""
    while True:
        token = "".join(rng.choice(string.ascii_lowercase) for _ in range(4))
        # Letters only, so LIKE needs no escaping; a clash (an earlier run, a real customer) means pick again.
        email_clash = db.session.scalar(
            select(Customer.id).where(func.lower(Customer.email).like(f"%.{token}%@%")).limit(1))
        order_clash = db.session.scalar(
            select(Order.id).where(Order.order_number.like(f"D{token.upper()}-%")).limit(1))
        if email_clash is None and order_clash is None:
            return token


def _order_counts(rng: random.Random, count: int, mean: float) -> list[int]:
    """Orders per customer, long-tailed, summing to round(mean * count); biggest counts first."""
    total = round(mean * count)
    zero, single = round(0.2 * count), round(0.3 * count)
    multi = count - zero - single
    base = single + 2 * multi
    if total >= base:
        # Pareto weights share out the rest; the cap stops one customer taking a visible slice of the shop.
        weights = [min(rng.paretovariate(1.5), 60.0) for _ in range(multi)]
        extra, weight_sum = total - base, sum(weights)
        shares = [int(extra * w / weight_sum) for w in weights]
        for i in rng.sample(range(multi), extra - sum(shares)):
            shares[i] += 1
        counts = [2 + s for s in shares] + [1] * single + [0] * zero
    else:
        # Too few orders for the usual mix: fewer repeat buyers first, then fewer one-off buyers.
        repeat = max(0, min(multi, (total - single) // 2))
        ones = min(total - 2 * repeat, count - repeat)
        counts = [2] * repeat + [1] * ones + [0] * (count - repeat - ones)
        counts[0] += total - sum(counts)
    counts.sort(reverse=True)
    return counts


def _name(rng: random.Random, pools: _Pools, au: bool) -> tuple[str, str]:
    """First and last name, in the mix of backgrounds of an Australian or a Malaysian shop."""
    roll = rng.random()
    if au:
        if roll < 0.88:
            return rng.choice(pools.au_first), rng.choice(pools.au_last)
        if roll < 0.95:
            return rng.choice(pools.chinese_given), rng.choice(pools.chinese_family)
        return rng.choice(pools.indian_first), rng.choice(pools.indian_last)
    if roll < 0.55:
        # Malay names carry the father's given name: "Nur Aisyah binti Ahmad".
        father = rng.choice(pools.malay_male)
        if rng.random() < 0.5:
            given = rng.choice(pools.malay_male)
            return ("Muhammad " + given if rng.random() < 0.3 else given), f"bin {father}"
        given = rng.choice(pools.malay_female)
        return ("Nur " + given if rng.random() < 0.3 else given), f"binti {father}"
    if roll < 0.85:
        return rng.choice(pools.chinese_given), rng.choice(pools.chinese_family)
    if roll < 0.95:
        return rng.choice(pools.indian_first), rng.choice(pools.indian_last)
    return rng.choice(pools.au_first), rng.choice(pools.au_last)


def _email_local(rng: random.Random, first: str, last: str) -> str:
    """The part of an email address people make from their name."""
    given = _slug(first) or "customer"
    family = _slug(last.removeprefix("binti ").removeprefix("bin ")) or "shop"
    style = rng.random()
    if style < 0.5:
        return f"{given}.{family}"
    if style < 0.75:
        return f"{given}{family}"
    if style < 0.9:
        return f"{given[0]}{family}"
    return f"{given}_{family}"


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, for email addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _phone(rng: random.Random, mobiles: tuple, used: set[str]) -> str:
    """A valid mobile number in E.164 not yet given out in this run."""
    while True:
        prefix, digits = mobiles[int(rng.random() * len(mobiles))]
        number = prefix + str(int(rng.random() * 10**digits)).zfill(digits)
        if number not in used:
            used.add(number)
            return number


def _abn(rng: random.Random) -> str:
    """A random Australian Business Number that python-stdnum (and so the customer form) accepts."""
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        number = abn.calc_check_digits(body) + body
        if abn.is_valid(number):
            return number


def _weighted(table: dict) -> tuple[list, list[float]]:
    """Keys and cumulative weights of a {key: (weight, ...)} table, for Random.choices."""
    keys = list(table)
    cum, total = [], 0.0
    for key in keys:
        total += table[key][0]
        cum.append(total)
    return keys, cum


def _address(rng: random.Random, pools: _Pools, au: bool, address_id: int, customer_id: int,
             states: list[str], cum: list[float]) -> tuple:
    """An address row whose postcode belongs to its state (and, in Australia, to its suburb)."""
    state = rng.choices(states, cum_weights=cum)[0]
    if au:
        unit = f"{rng.randint(1, 40)}/" if rng.random() < 0.2 else ""
        street = f"{unit}{rng.randint(1, 250)} {rng.choice(pools.au_streets)}"
        city, postcode = rng.choice(AU_LOCALITIES[state])
    else:
        ranges = MY_STATES[state][1]
        low, high = ranges[int(rng.random() * len(ranges))]
        postcode = str(rng.randint(low, high)).zfill(5)
        prefix = "No. " if rng.random() < 0.3 else ""
        street = f"{prefix}{rng.randint(1, 120)}, {rng.choice(pools.my_streets)}"
        city = rng.choice(pools.my_cities)
    return (address_id, customer_id, street, city, state, postcode, "AU" if au else "MY")
