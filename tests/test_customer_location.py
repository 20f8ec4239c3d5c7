"""The customer list's location filter: exact places, tab counts kept per place, chips, and the other controls."""


import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Address, Customer, LocationCount
from crm.services import erasure
from crm.services.customers import ListQuery, Location, customer_page, location_filter

from . import factories
from .factories import make_customer
from .html import parse
from .test_customers import names, tab_counts


@pytest.fixture
def places(app):
    """Customers in a few places, two of them called Kingston (in Tasmania and the ACT), one without an address."""
    with app.app_context():
        make_customer("Vera", "Vip", email="vera@example.com", city="Parramatta", state="NSW",
                      orders_spec=[(60_000, "paid"), (50_000, "paid")])
        make_customer("Nina", "New", email="nina@example.com", city="Parramatta", state="NSW",
                      orders_spec=[(5_000, "paid")])
        make_customer("Olga", "Once", city="Bondi", state="NSW", orders_spec=[(7_000, "paid")])
        make_customer("Rhea", "Refunded", city="Bondi", state="NSW", orders_spec=[(9_000, "refunded")])
        make_customer("Tess", "Twice", city="Kingston", state="TAS", orders_spec=[(2_000, "paid"), (2_500, "paid")])
        make_customer("Kim", "Canberra", city="Kingston", state="ACT")
        make_customer("Ravi", "Returning", city="Petaling Jaya", state="Selangor", country="MY",
                      orders_spec=[(1_000, "paid"), (2_000, "paid")])
        make_customer("Pete", "Prospect")
        db.session.commit()


def test_a_state_lists_its_customers_with_counts_and_a_chip(logged_in, places):
    html = logged_in.get("/customers?country=AU&state=NSW").get_data(as_text=True)
    assert sorted(names(html)) == ["Nina New", "Olga Once", "Rhea Refunded", "Vera Vip"]
    assert tab_counts(html) == {"All": "4", "VIP": "1", "Returning": "0", "New": "2", "Prospect": "1"}
    assert "Location: NSW" in parse(html).text
    assert parse(html).link("Clear location")["href"] == "/customers"


@pytest.mark.parametrize(("query", "expected", "chip"), [
    ("city=Kingston", ["Kim Canberra", "Tess Twice"], "Kingston"),
    ("country=AU&state=TAS&city=Kingston", ["Tess Twice"], "Kingston, TAS"),
    ("country=au&state=ACT&city=Kingston", ["Kim Canberra"], "Kingston, ACT"),
    ("country=MY", ["Ravi Returning"], "Malaysia"),
    ("country=MY&state=Selangor&city=Petaling+Jaya", ["Ravi Returning"], "Petaling Jaya, Selangor, Malaysia"),
    ("country=AU", ["Kim Canberra", "Nina New", "Olga Once", "Rhea Refunded", "Tess Twice", "Vera Vip"], "Australia"),
    ("country=AU&state=nsw", [], "nsw"),  # places match exactly, as stored
])
def test_places_match_exactly_and_name_themselves(logged_in, places, query, expected, chip):
    html = logged_in.get(f"/customers?{query}").get_data(as_text=True)
    assert sorted(names(html)) == expected
    assert f"Location: <strong>{chip}</strong>" in html
    assert tab_counts(html)["All"] == str(len(expected))


def test_unusable_place_values_are_ignored(logged_in, places):
    html = logged_in.get("/customers?country=Australia&state=&city=%20%20").get_data(as_text=True)
    assert len(names(html)) == 8 and "Location:" not in html
    assert tab_counts(html)["All"] == "8"


def test_tabs_sorts_pages_and_search_keep_the_place(logged_in, places):
    html = logged_in.get("/customers?country=AU&state=NSW&segment=new&sort=name&dir=asc").get_data(as_text=True)
    assert names(html) == ["Nina New", "Olga Once"]
    assert 'href="/customers?segment=vip&amp;sort=name&amp;dir=asc&amp;country=AU&amp;state=NSW"' in html
    assert 'href="/customers?segment=new&amp;sort=spent&amp;dir=desc&amp;country=AU&amp;state=NSW"' in html
    # the search form sends the place along with the words typed
    sent = {(i["name"], i["value"]) for i in parse(html).find_all("input", form="customer-search")}
    assert {("country", "AU"), ("state", "NSW")} <= sent and "city" not in {name for name, _ in sent}


def test_search_within_a_place_counts_by_query(logged_in, places):
    html = logged_in.get("/customers?country=AU&state=NSW&q=example.com").get_data(as_text=True)
    assert sorted(names(html)) == ["Nina New", "Vera Vip"]
    assert tab_counts(html) == {"All": "2", "VIP": "1", "Returning": "0", "New": "1", "Prospect": "0"}
    html = logged_in.get("/customers?country=AU&state=NSW&q=ravi").get_data(as_text=True)
    assert names(html) == [] and "No customers match “ravi” in NSW" in html


def test_empty_tab_in_a_place_says_so(logged_in, places):
    html = logged_in.get("/customers?country=AU&state=TAS&city=Kingston&segment=vip").get_data(as_text=True)
    assert "No VIP customers in Kingston, TAS" in html
    assert "There is 1 in other segments." in html
    assert "Clear location" in html


def test_pages_of_a_place(app, logged_in):
    with app.app_context():
        for n in range(27):
            make_customer(f"Person{n:02d}", "Bondi", city="Bondi", state="NSW")
        make_customer("Elsewhere", "Person", city="Manly", state="NSW")
        db.session.commit()
    html = logged_in.get("/customers?country=AU&state=NSW&city=Bondi&sort=name&dir=asc").get_data(as_text=True)
    assert len(names(html)) == 25 and "Page 1 of 2" in html
    assert 'href="/customers?sort=name&amp;dir=asc&amp;page=2&amp;country=AU&amp;state=NSW&amp;city=Bondi"' in html
    html = logged_in.get("/customers?country=AU&state=NSW&city=Bondi&sort=name&dir=asc&page=2").get_data(as_text=True)
    assert names(html) == ["Person25 Bondi", "Person26 Bondi"]


def test_htmx_swap_of_a_place_pushes_the_clean_url(logged_in, places):
    response = logged_in.get("/customers?country=my&state=Selangor&city=&segment=bogus",
                             headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"<html" not in response.data
    assert response.headers["HX-Push-Url"] == "/customers?country=MY&state=Selangor"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("walk", [False, True])
def test_both_ways_of_filtering_a_place_find_the_same_customers(app, places, walk):
    with app.app_context():
        for place in (Location("AU"), Location("AU", "NSW"), Location(city="Kingston"), Location("MY", "Selangor")):
            found = set(db.session.scalars(select(Customer.id).where(location_filter(place, walk=walk))))
            expected = set(db.session.scalars(select(Address.customer_id).where(*place.conditions())))
            assert found == expected and found


def _kept() -> list[tuple]:
    """The per-place counts the triggers keep, leaving out rows of places or segments nobody is in any more."""
    return sorted((r.level, r.country, r.state, r.city, r.segment, r.customers, r.spent)
                  for r in db.session.scalars(select(LocationCount)) if r.customers or r.spent)


def _counted() -> list[tuple]:
    """The same counts worked out from the addresses and customers as they are now."""
    rows = db.session.execute(select(Address.country, Address.state, Address.city, Customer.segment,
                                     Customer.total_spent).join(Customer, Customer.id == Address.customer_id)).all()
    totals: dict[tuple, list[int]] = {}
    for country, state, city, segment, spent in rows:
        for place in (("city", country, state, city), ("state", country, state, ""), ("country", country, "", "")):
            for key in ((*place, ""), (*place, segment)):
                row = totals.setdefault(key, [0, 0])
                row[0] += 1
                row[1] += spent
    return sorted((*key, *values) for key, values in totals.items())


def test_kept_place_counts_follow_every_change(app, places):
    with app.app_context():
        vera = db.session.scalar(select(Customer).where(Customer.first_name == "Vera"))
        olga = db.session.scalar(select(Customer).where(Customer.first_name == "Olga"))
        kim = db.session.scalar(select(Customer).where(Customer.first_name == "Kim"))
        pete = db.session.scalar(select(Customer).where(Customer.first_name == "Pete"))
        vera.address.city = "Manly"  # a move
        factories.order(olga, 200_000, placed_at=vera.created_at)  # a new VIP
        factories.address(pete, city="Hobart", state="TAS")  # an address at last
        db.session.delete(kim)  # a customer without orders goes, with the address
        db.session.flush()
        erasure.anonymize_customer(db.session.scalar(select(Customer).where(Customer.first_name == "Ravi")), None)
        db.session.commit()
        kept = _kept()
        assert kept == _counted()
        counts = customer_page(ListQuery(location=Location("AU", "NSW")), "AU", 25).counts
        assert counts == {"all": 4, "vip": 2, "returning": 0, "new": 1, "prospect": 1}
        assert ("country", "MY", "", "", "", 1, 3000) not in kept  # Ravi's address was erased
        assert ("country", "MY", "", "", "returning", 1, 3000) not in kept
