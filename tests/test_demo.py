"""Demo data: every segment filled, figures from the one service, valid contacts, repeatable, no collisions."""

from collections import Counter
from datetime import datetime, timezone

import phonenumbers
import pytest
from sqlalchemy import func, select

from crm import demo
from crm.demo import places
from crm.extensions import db
from crm.models import Address, Customer, Order, OrderItem
from crm.services import business, stats
from crm.services import segments as registry
from crm.services.customers import refresh_search_fields, search_text_for
from crm.services.shop import get_settings


@pytest.fixture
def shop(app):
    """300 demo customers (seed 1) in the app's database."""
    with app.app_context():
        messages = []
        result = demo.generate(300, seed=1, progress=messages.append)
        assert result == demo.DemoResult(customers=300, orders=3000)
        assert messages[-1] == "figures"
    return app


def _valid_e164(number: str) -> bool:
    """Whether a stored number is valid and already in E.164."""
    parsed = phonenumbers.parse(number, None)
    return (phonenumbers.is_valid_number(parsed)
            and phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number)


def test_every_segment_is_populated(shop):
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 300
        segments = Counter(db.session.scalars(select(Customer.segment)))
        assert set(segments) == set(registry.keys())
        assert min(segments.values()) >= 20, segments


def test_figures_agree_with_the_stats_service(shop):
    with shop.app_context():
        assert stats.recompute_all() == []
        assert stats.recompute_segment_counts() == []


def test_search_fields_match_the_customers_service(shop):
    with shop.app_context():
        for customer in db.session.scalars(select(Customer)):
            stored = (customer.search_text, customer.name_key)
            assert customer.search_text == search_text_for(customer)
            refresh_search_fields(customer)
            assert (customer.search_text, customer.name_key) == stored
        db.session.rollback()


def test_contacts_are_valid_and_emails_unique(shop):
    with shop.app_context():
        customers = db.session.scalars(select(Customer)).all()
        emails = [c.email.lower() for c in customers if c.email]
        assert len(emails) == len(set(emails)) >= 250
        assert all(e.rsplit("@", 1)[1].startswith("example.") for e in emails)
        numbers = [n for c in customers for n in (c.phone, c.whatsapp) if n]
        assert len([c for c in customers if c.phone]) >= 200
        assert all(_valid_e164(n) for n in numbers), [n for n in numbers if not _valid_e164(n)]
        assert all(n.startswith(("+614", "+601")) for n in numbers)
        abns = [c.abn for c in customers if c.abn]
        assert abns and all(business.normalize_abn(a) == a for a in abns)  # the form would take each one


def test_addresses_look_local(shop):
    with shop.app_context():
        addresses = db.session.scalars(select(Address)).all()
        assert 240 <= len(addresses) <= 295
        countries = Counter(a.country for a in addresses)
        assert set(countries) == {"AU", "MY"} and countries["AU"] > countries["MY"]
        for a in addresses:
            assert a.street and a.city
            if a.country == "AU":
                assert (a.city, a.postcode) in places.AU_LOCALITIES[a.state]
            else:
                assert a.state in places.MY_STATES and len(a.postcode) == 5 and a.postcode.isdigit()


def test_orders_add_up_and_fall_in_the_customers_lifetime(shop):
    with shop.app_context():
        now = datetime.now(timezone.utc)
        item_sums = dict(db.session.execute(
            select(OrderItem.order_id, func.sum(OrderItem.quantity * OrderItem.unit_price))
            .group_by(OrderItem.order_id)).all())
        assert db.session.scalar(select(func.min(OrderItem.quantity))) >= 1
        assert db.session.scalar(select(func.min(OrderItem.unit_price))) >= 0
        currency = get_settings().currency
        rows = db.session.execute(
            select(Order.id, Order.total, Order.placed_at, Order.currency, Order.status, Customer.created_at)
            .join(Customer, Customer.id == Order.customer_id)).all()
        assert len(rows) == 3000
        for row in rows:
            assert item_sums[row.id] == row.total
            assert row.created_at < row.placed_at < now
            assert row.currency == currency
        statuses = Counter(r.status for r in rows)
        assert statuses["paid"] > 0.85 * len(rows) and statuses["refunded"] and statuses["cancelled"]


def test_running_twice_does_not_collide(shop):
    with shop.app_context():
        result = demo.generate(300, seed=1)
        assert result.customers == 300
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 600
        numbers = db.session.scalars(select(Order.order_number)).all()
        assert len(numbers) == len(set(numbers)) == 6000
        assert stats.recompute_all() == []
        assert stats.recompute_segment_counts() == []


def test_ordinary_inserts_still_work_afterwards(shop):
    """The ids handed out in bulk must not trip up the database's own id counter (PostgreSQL sequences)."""
    with shop.app_context():
        customer = Customer(first_name="After", last_name="Demo", email="after@example.com", source="manual")
        db.session.add(customer)
        db.session.commit()
        assert customer.id > 300


@pytest.mark.parametrize("mean", [0, 0.4, 1, 2.5])
def test_small_averages_give_exactly_that_many_orders(app, mean):
    with app.app_context():
        result = demo.generate(40, orders_per_customer=mean, seed=3)
        assert result.orders == round(40 * mean)
        assert db.session.scalar(select(func.count()).select_from(Order)) == result.orders
        assert stats.recompute_all() == []
        assert stats.recompute_segment_counts() == []


def test_same_seed_same_people(app):
    with app.app_context():
        demo.generate(20, seed=7)
        names = select(Customer.first_name, Customer.last_name).order_by(Customer.id)
        first = db.session.execute(names).all()
    with app.app_context():
        for table in (OrderItem, Order, Address, Customer):
            db.session.execute(table.__table__.delete())
        db.session.commit()
        demo.generate(20, seed=7)
        again = db.session.execute(names).all()
    assert first == again


def test_demo_command(app, runner):
    result = runner.invoke(args=["demo", "--customers", "50", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Created 50 customers and 500 orders" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 50
