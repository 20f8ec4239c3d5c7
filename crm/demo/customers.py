"""Demo customer rows and their delivery addresses, ready for the bulk writer."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime

from ..services.customers import refresh_search_fields
from .people import AU_MOBILES, EMAIL_DOMAINS, MY_MOBILES, Person, Pools, abn_number, email_local, name, phone
from .places import AU_STATES, MY_STATES, address, weighted
from .plan import Run

CUSTOMER_BATCH = 10_000
CUSTOMER_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn", "password_hash",
    "email_marketing", "email_marketing_at", "email_marketing_method", "source", "created_at", "updated_at",
    "order_count", "total_spent", "first_order_at", "last_order_at", "segment", "search_text", "name_key",
)
ADDRESS_COLUMNS = ("id", "customer_id", "street", "city", "state", "postcode", "country")


def customer_batches(run: Run) -> Iterator[tuple[list[tuple], list[tuple], int]]:
    """Customer and address rows, a batch at a time, with how many customers so far."""
    rng, pools = run.rng, run.pools
    rand = rng.random
    au_states, au_cum = weighted(AU_STATES)
    my_states, my_cum = weighted(MY_STATES)
    used_phones: set[str] = set()
    address_id = run.first_address
    customers: list[tuple] = []
    addresses: list[tuple] = []
    for i, (created, n_orders) in enumerate(zip(run.created, run.counts)):
        cid = run.first_customer + i
        au = rand() < 0.7
        customers.append(_customer_row(run, cid, au, created, n_orders, used_phones))
        if rand() < 0.9:
            addresses.append(address(rng, pools, au, address_id, cid, au_states if au else my_states,
                                     au_cum if au else my_cum))
            address_id += 1
        if len(customers) >= CUSTOMER_BATCH:
            yield customers, addresses, i + 1
            customers, addresses = [], []
    if customers:
        yield customers, addresses, len(run.created)


def _customer_row(run: Run, cid: int, au: bool, created: datetime, n_orders: int, used_phones: set[str]) -> tuple:
    """One customer in CUSTOMER_COLUMNS order, with the search fields the service gives it."""
    rng, stored = run.rng, run.stored
    rand = rng.random
    first, last = name(rng, run.pools, au)
    if n_orders or rand() < 0.85:  # anyone who ordered left an email; some followers didn't
        email = f"{email_local(rng, first, last)}.{run.token}{cid}@{EMAIL_DOMAINS[int(rand() * 3)]}"
    else:
        email = None
    mobiles = AU_MOBILES if au else MY_MOBILES
    number = phone(rng, mobiles, used_phones) if rand() < 0.85 else None
    whatsapp = phone(rng, mobiles, used_phones) if number and rand() < 0.4 else None
    company, abn = _company(rng, run.pools, au) if rand() < 0.15 else (None, None)
    marketing = rand() < 0.35
    source = _source(rng, n_orders)
    person = Person(first, last, email, company, number, whatsapp)
    refresh_search_fields(person)
    created_at = stored(created)
    # Figures start empty: recompute_all fills them from the orders.
    return (
        cid, first, last, email, number, whatsapp, company, abn, None,
        marketing, stored(created + (run.now - created) * rand()) if marketing else None,
        "demo" if marketing else None, source, created_at, created_at,
        0, 0, None, None, "prospect", person.search_text, person.name_key,
    )


def _company(rng: random.Random, pools: Pools, au: bool) -> tuple[str, str | None]:
    """A business customer's company, with an ABN for most Australian ones."""
    if au:
        return rng.choice(pools.au_companies), (abn_number(rng) if rng.random() < 0.6 else None)
    family = rng.choice(pools.chinese_family if rng.random() < 0.6 else pools.malay_male)
    return f"{family} {rng.choice(('Trading', 'Enterprise', 'Holdings', 'Niaga'))} Sdn. Bhd.", None


def _source(rng: random.Random, n_orders: int) -> str:
    """How the customer arrived: buyers mostly through the checkout, the rest mostly by following the shop."""
    if n_orders:
        return rng.choices(("order", "import", "manual"), cum_weights=(85, 95, 100))[0]
    return rng.choices(("follow", "manual", "import"), cum_weights=(50, 75, 100))[0]
