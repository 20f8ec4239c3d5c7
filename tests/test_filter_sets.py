"""The list's fast paths give the list the filters mean: tab counts read from the tag and membership rows'
copy of the segment, and pages that walk a sort index instead of gathering the matches, checked against the
same list worked out in Python, on a shop big enough for every path to be taken."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Customer, CustomerTag, Membership, Tag
from crm.services import customers as finding
from crm.services import shop as shops
from crm.services.customers import ListQuery, customer_page

from . import factories
from .test_customer_filters import satisfies

PER_PAGE = 5
TODAY = date.today()
SORT_KEYS = {"name": lambda c: c.name_key, "orders": lambda c: c.order_count, "spent": lambda c: c.total_spent,
             "created": lambda c: c.created_at, "last_order": lambda c: c.last_order_at}
PLACES = (("NSW", "Bondi"), ("NSW", "Parramatta"), ("VIC", "Camberwell"), ("TAS", "Kingston"))


@pytest.fixture
def big_shop(app):
    """60 customers in four places with orders, tags (some put on before the orders move their segment) and
    memberships in every state."""
    chance = random.Random(15)
    with app.app_context():
        tags = [Tag(name=name, name_key=name.casefold(), customers=0) for name in ("Wholesale", "Gift", "Rare")]
        db.session.add_all(tags)
        db.session.flush()
        for n in range(60):
            state, city = PLACES[n % len(PLACES)]
            person = factories.make_customer(f"Name{n:02d}", chance.choice(("Ng", "Lee", "Tan")), city=city,
                                             state=state, email=f"c{n}@example.com")
            for tag, share in zip(tags, (0.6, 0.3, 0.05)):
                if chance.random() < share:
                    db.session.add(CustomerTag(customer_id=person.id, tag_id=tag.id))
                    tag.customers += 1
            if n % 3:
                expiry = chance.choice((None, TODAY - timedelta(days=5), TODAY + timedelta(days=10),
                                        TODAY + timedelta(days=200)))
                factories.membership(person, expires_on=expiry)
            db.session.flush()
            for _ in range(chance.choice((0, 0, 1, 2, 4, 7))):
                factories.order(person, chance.randrange(1_000, 90_000))
        db.session.commit()


def expected_page(query: ListQuery) -> tuple[list[int], dict[str, int]]:
    """The page's customer ids and the tab counts, worked out from every customer's own values."""
    everyone, today = db.session.scalars(select(Customer)).all(), shops.today(shops.get_settings())
    place = query.location
    matching = [c for c in everyone if satisfies(c, query.filters, today)
                and (not place or (c.address and c.address.state == place.state
                                   and (not place.city or c.address.city == place.city)))]
    counts = {tab: sum(1 for c in matching if tab == "all" or c.segment == tab) for tab in finding.tabs()}
    in_tab = [c for c in matching if query.segment in ("all", c.segment)]
    key, descending = SORT_KEYS[query.sort], query.direction == "desc"
    present = sorted((c for c in in_tab if key(c) is not None), key=lambda c: (key(c), c.id), reverse=descending)
    missing = sorted((c for c in in_tab if key(c) is None), key=lambda c: c.id, reverse=descending)
    ordered = [c.id for c in present + missing]
    start = (query.page - 1) * PER_PAGE
    return ordered[start:start + PER_PAGE], counts


QUERIES = [
    {"tag": "Wholesale"}, {"tag": "Wholesale", "segment": "vip", "sort": "name", "dir": "asc"},
    {"tag": "Gift", "tag_mode": "none", "segment": "returning", "sort": "last_order", "dir": "desc"},
    {"tag": ["Wholesale", "Gift"], "tag_mode": "all", "sort": "spent", "dir": "desc"},
    {"tag": ["Rare", "Gift"], "sort": "orders", "dir": "asc", "page": "2"},
    {"membership": "active", "segment": "new"}, {"membership": "none", "sort": "created", "dir": "asc"},
    {"membership": "expired", "sort": "spent", "dir": "desc"},
    {"membership": "expiring", "expiring_days": "30", "sort": "name", "dir": "desc"},
    {"country": "AU", "state": "NSW", "tag": "Wholesale", "sort": "spent", "dir": "desc"},
    {"country": "AU", "state": "NSW", "tag": "Gift", "tag_mode": "none", "segment": "vip"},
    {"country": "AU", "state": "VIC", "city": "Camberwell", "membership": "none", "page": "2"},
    {"spent_min": "100", "sort": "name", "dir": "asc", "page": "3"}, {"orders_min": "2", "segment": "returning"},
    {"tag": "Wholesale", "spent_min": "50", "membership": "active", "sort": "last_order", "dir": "asc"},
    {"tag": "Gift", "tag_mode": "none", "orders_max": "1", "sort": "created", "dir": "desc"},
    {"country": "AU", "state": "NSW", "orders_min": "1", "sort": "orders", "dir": "desc", "page": "2"},
]


@pytest.mark.parametrize("args", QUERIES, ids=lambda args: "&".join(f"{k}={v}" for k, v in args.items()))
def test_each_path_lists_what_the_filters_mean(app, big_shop, monkeypatch, args):
    with app.app_context():
        query = ListQuery.from_args(args, "AUD")
        assert not query.notes
        ids, counts = expected_page(query)
        for walk in (True, False):  # walking the sort index, or gathering the matches and sorting them
            monkeypatch.setattr(finding, "_walk_pays", lambda *a, walk=walk: walk)
            page = customer_page(query, "AU", PER_PAGE)
            assert [c.id for c in page.customers] == ids, walk
            assert page.counts == counts
        assert finding.count_matching(query, "AU") == counts[query.segment]


def test_the_shop_is_big_enough_to_walk(app, big_shop):
    with app.app_context():
        query = ListQuery.from_args({"tag": "Wholesale"}, "AUD")
        assert finding._walk_pays(customer_page(query, "AU", PER_PAGE).total, query, PER_PAGE)
        rare = ListQuery.from_args({"tag": "Rare", "page": "2"}, "AUD")
        assert not finding._walk_pays(customer_page(rare, "AU", PER_PAGE).total, rare, PER_PAGE)


def test_the_set_rows_follow_their_customers_segment(app, big_shop):
    with app.app_context():
        mismatched = select(Customer.id).join(CustomerTag).where(CustomerTag.segment != Customer.segment)
        assert db.session.scalars(mismatched).all() == []
        assert db.session.scalars(select(Customer.id).join(Membership)
                                  .where(Membership.segment != Customer.segment)).all() == []
        prospect = db.session.scalars(select(Customer).join(Membership).where(Customer.order_count == 0)).first()
        for _ in range(6):  # enough paid orders to climb to VIP
            factories.order(prospect, 95_000)
        db.session.commit()
        assert prospect.segment == "vip"
        assert db.session.scalar(select(Membership.segment).where(Membership.customer_id == prospect.id)) == "vip"
        assert set(db.session.scalars(select(CustomerTag.segment)
                                      .where(CustomerTag.customer_id == prospect.id))) <= {"vip"}
