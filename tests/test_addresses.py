"""Address suggestions (own addresses, bundled gazetteer, Photon), states and postcodes, and their endpoints."""

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import flask_migrate
import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import Locality
from crm.services import gazetteer
from crm.services.addresses import (
    Suggestion,
    format_label,
    normalize_postcode,
    normalize_state,
    states_for,
    suggest,
)
from crm.services.shop import get_settings

from .conftest import app_config
from .factories import committed_customer, make_customer
from .html import parse


def labels(suggestions: list[Suggestion]) -> list[str]:
    """The lines the listbox shows."""
    return [s.label for s in suggestions]


# The gazetteer -----------------------------------------------------------------------------------------

def test_typed_street_lands_in_the_suburb_the_trailing_word_starts(app):
    with app.app_context():
        found = suggest("12 Smith St parra", country="AU")
    assert found[0] == Suggestion("12 Smith St, Parramatta NSW 2150", "12 Smith St", "Parramatta", "NSW", "2150",
                                  "AU")
    assert len(found) <= 8
    assert all(s.street == "12 Smith St" and "parra" in s.city.casefold() for s in found)


@pytest.mark.parametrize("typed", ["12 SMITH ST PÁRRA", "12 smith st parramätta", "12 Smith St, Parra",
                                   "12 Smith St parramatta nsw", "12 Smith St Parramatta NSW 2150"])
def test_case_accents_commas_and_state_or_postcode_after_the_suburb(app, typed):
    with app.app_context():
        found = suggest(typed, country="AU")
    first = found[0]
    assert (first.city, first.state, first.postcode) == ("Parramatta", "NSW", "2150")
    assert first.street.casefold() == "12 smith st"


def test_a_locality_alone_is_offered_without_a_street(app):
    with app.app_context():
        found = suggest("parramatta", country="AU")
    assert found[0] == Suggestion("Parramatta NSW 2150", "", "Parramatta", "NSW", "2150", "AU")


def test_a_postcode_offers_its_localities_and_the_shops_country_comes_first(app):
    with app.app_context():
        au_shop = suggest("2150", country="AU")
        my_shop = suggest("2150", country="MY")
    assert {"Parramatta NSW 2150", "Harris Park NSW 2150"} <= set(labels(au_shop))
    assert [s.postcode for s in au_shop if s.country == "AU"] == ["2150"] * sum(s.country == "AU" for s in au_shop)
    assert au_shop[0].country == "AU"
    assert my_shop[0].country == "MY" and my_shop[0].postcode.startswith("2150")


def test_malaysian_localities_read_the_malaysian_way(app):
    with app.app_context():
        street = suggest("Jalan Ampang 50450", country="MY")
        town = suggest("kuala lumpur", country="MY")
        postcode = suggest("50450", country="AU")
    assert street[0] == Suggestion("Jalan Ampang, 50450 Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur",
                                   "Jalan Ampang", "Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur", "50450", "MY")
    assert town and all(s.city == "Kuala Lumpur" and s.country == "MY" for s in town)
    assert labels(postcode)[0] == "50450 Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur"


@pytest.mark.parametrize("typed", ["", "  ", "pa", "zzzz qqqq", "12 Smith St", "Jalan Ampang"])
def test_nothing_to_offer(app, typed):
    # Too short, no such place, or a street still being typed (no locality words yet).
    with app.app_context():
        assert suggest(typed, country="AU") == []


def test_limit(app):
    with app.app_context():
        assert len(suggest("kuala lumpur", country="MY", limit=3)) == 3
        assert suggest("kuala lumpur", country="MY", limit=0) == []


def test_gazetteer_has_both_countries(app):
    with app.app_context():
        suggest("parra", country="AU")  # loads it when this run hasn't yet
        counts = dict(db.session.execute(select(Locality.country, func.count()).group_by(Locality.country)).all())
        assert counts["AU"] > 15_000 and counts["MY"] > 2_500
        assert gazetteer.loaded_digest() == gazetteer.file_digest()


# The shop's own addresses ------------------------------------------------------------------------------

def test_own_past_addresses_come_first_when_they_read_as_typed(app):
    with app.app_context():
        make_customer("Wendy", "Wattle", street="45 Wattle Grove Rd", city="Bondi", state="NSW",
                      postcode="2026")
        make_customer("Ahmad", "Ali", street="No. 7, Jalan Bukit Bintang", city="Kuala Lumpur",
                      state="Wilayah Persekutuan Kuala Lumpur", postcode="55100", country="MY")
        db.session.commit()
        assert suggest("45 Wattle Gr", country="AU")[0] == Suggestion(
            "45 Wattle Grove Rd, Bondi NSW 2026", "45 Wattle Grove Rd", "Bondi", "NSW", "2026", "AU")
        # Any order of words, each the start of a word of the address.
        assert labels(suggest("wattle bondi 45", country="AU"))[0] == "45 Wattle Grove Rd, Bondi NSW 2026"
        assert labels(suggest("7 jalan bukit", country="AU"))[0] == (
            "No. 7, Jalan Bukit Bintang, 55100 Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur")
        # A word that is only inside another word is not a match.
        assert suggest("attle grove", country="AU") == []


def test_own_address_that_reads_as_typed_beats_the_gazetteer(app):
    with app.app_context():
        make_customer(street="12 Smith Street", city="Parramatta", state="NSW", postcode="2150")
        db.session.commit()
        found = suggest("12 Smith St parra", country="AU")
    assert labels(found)[:2] == ["12 Smith Street, Parramatta NSW 2150", "12 Smith St, Parramatta NSW 2150"]


def test_own_addresses_follow_edits_and_deletes(app):
    with app.app_context():
        customer = make_customer(street="9 Banksia Cres", city="Manly", state="NSW", postcode="2095")
        db.session.commit()
        assert labels(suggest("9 banksia", country="AU")) == ["9 Banksia Cres, Manly NSW 2095"]
        customer.address.street = "11 Grevillea Cres"
        db.session.commit()
        assert suggest("9 banksia", country="AU") == []
        assert labels(suggest("11 grevillea", country="AU")) == ["11 Grevillea Cres, Manly NSW 2095"]
        db.session.delete(customer)
        db.session.commit()
        assert suggest("11 grevillea", country="AU") == []


# Loading the gazetteer ---------------------------------------------------------------------------------

def write_gazetteer(path, rows):
    """A gazetteer file with the given (country, state, city, postcode) rows."""
    text = "country,state,city,postcode\n" + "".join(",".join(r) + "\n" for r in rows)
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    gazetteer.file_digest.cache_clear()


def test_gazetteer_loads_once_and_again_when_the_file_changes(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/g.sqlite"))
    data = tmp_path / "gazetteer.csv.gz"
    try:
        with app.app_context():
            flask_migrate.upgrade()
            write_gazetteer(data, [("AU", "TAS", "Zeehan", "7469")])
            assert gazetteer.ensure_loaded(data) is True
            assert gazetteer.ensure_loaded(data) is False
            assert db.session.scalar(select(Locality.search_text)) == " zeehan tas tasmania 7469"
            write_gazetteer(data, [("AU", "TAS", "Queenstown", "7467"), ("AU", "TAS", "Strahan", "7468")])
            assert gazetteer.ensure_loaded(data) is True
            assert db.session.scalars(select(Locality.city).order_by(Locality.id)).all() == ["Queenstown", "Strahan"]
            # The FTS index was rebuilt with the rows: the old town is gone, the new ones are found.
            from crm.services.addresses.local import _matching_localities

            assert _matching_localities(["zee"], "AU", 8) == []
            assert _matching_localities(["stra"], "AU", 8) == [("AU", "TAS", "Strahan", "7468")]
            db.engine.dispose()
    finally:
        gazetteer.file_digest.cache_clear()


def test_concurrent_first_suggestions_load_the_gazetteer_once(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/c.sqlite"))
    data = tmp_path / "gazetteer.csv.gz"
    write_gazetteer(data, [("MY", "Selangor", f"Taman {n}", f"{40000 + n:05d}") for n in range(500)])
    with app.app_context():
        flask_migrate.upgrade()
    results, start = [], threading.Barrier(4)

    def first_request():
        with app.app_context():
            start.wait()
            results.append(gazetteer.ensure_loaded(data))
            db.session.remove()

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(results) == [False, False, False, True]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Locality)) == 500
            db.engine.dispose()
    finally:
        gazetteer.file_digest.cache_clear()


# States and postcodes ----------------------------------------------------------------------------------

def test_states_for_each_country():
    au = states_for("AU")
    assert ("NSW", "New South Wales") in au and len(au) == 8
    my = states_for("my")
    assert len(my) == 16 and ("Selangor", "Selangor") in my
    assert ("Wilayah Persekutuan Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur") in my
    assert states_for("NZ") == [] and states_for(None) == []


@pytest.mark.parametrize(("country", "typed", "stored"), [
    ("AU", "nsw", "NSW"),
    ("AU", "New South Wales", "NSW"),
    ("AU", " n.s.w. ", "NSW"),
    ("au", "western australia", "WA"),
    ("AU", "", ""),
    ("MY", "selangor", "Selangor"),
    ("MY", "SGR", "Selangor"),
    ("MY", "Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur"),
    ("MY", "W.P. Labuan", "Wilayah Persekutuan Labuan"),
    ("MY", "Penang", "Pulau Pinang"),
    ("MY", "Malacca", "Melaka"),
    ("NZ", "  Auckland ", "Auckland"),
])
def test_normalize_state(country, typed, stored):
    assert normalize_state(country, typed) == stored


@pytest.mark.parametrize(("country", "typed", "message"), [
    ("AU", "Queenslandia", "Choose a state of Australia"),
    ("AU", "Selangor", "Choose a state of Australia"),
    ("MY", "NSW", "Choose a state of Malaysia"),
    ("MY", "Bangkok", "Choose a state of Malaysia"),
    ("NZ", "x" * 101, "A state has at most 100 characters"),
])
def test_normalize_state_rejects(country, typed, message):
    with pytest.raises(ValueError, match=message):
        normalize_state(country, typed)


@pytest.mark.parametrize(("country", "typed", "stored"), [
    ("AU", "2150", "2150"),
    ("AU", " 0800 ", "0800"),
    ("AU", "21 50", "2150"),
    ("MY", "50450", "50450"),
    ("MY", "01000", "01000"),
    ("AU", "", ""),
    ("GB", " SW1A  1AA ", "SW1A 1AA"),
    ("NZ", "1010", "1010"),
])
def test_normalize_postcode(country, typed, stored):
    assert normalize_postcode(country, typed) == stored


@pytest.mark.parametrize(("country", "typed", "message"), [
    ("AU", "215", "An Australian postcode has 4 digits"),
    ("AU", "21500", "An Australian postcode has 4 digits"),
    ("AU", "2l50", "An Australian postcode has 4 digits"),
    ("AU", "２１５０", "An Australian postcode has 4 digits"),
    ("MY", "5045", "A Malaysian postcode has 5 digits"),
    ("MY", "504501", "A Malaysian postcode has 5 digits"),
    ("MY", "KL 50450", "A Malaysian postcode has 5 digits"),
    ("GB", "x" * 21, "A postcode has at most 20 characters"),
])
def test_normalize_postcode_rejects(country, typed, message):
    with pytest.raises(ValueError, match=message):
        normalize_postcode(country, typed)


def test_format_label():
    assert format_label("AU", "1 Main St", "Perth", "WA", "6000") == "1 Main St, Perth WA 6000"
    assert format_label("MY", "", "Ipoh", "Perak", "30000") == "30000 Ipoh, Perak"
    assert format_label("NZ", "5 Queen St", "Auckland", "", "1010") == "5 Queen St, Auckland 1010"


# Photon ------------------------------------------------------------------------------------------------

PARRAMATTA_HOUSE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [151.0035, -33.8178]},
    "properties": {"osm_key": "place", "osm_value": "house", "type": "house", "housenumber": "12",
                   "street": "Smith Street", "district": "Parramatta", "city": "Sydney",
                   "state": "New South Wales", "postcode": "2150", "country": "Australia", "countrycode": "AU"},
}
AMPANG_HOUSE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [101.7146, 3.1601]},
    "properties": {"osm_key": "building", "osm_value": "yes", "type": "house", "housenumber": "5",
                   "street": "Jalan Ampang", "city": "Kuala Lumpur", "state": "Kuala Lumpur",
                   "postcode": "50450", "country": "Malaysia", "countrycode": "MY"},
}
SMITH_STREET = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[151.0, -33.81], [151.01, -33.82]]},
    "properties": {"osm_key": "highway", "osm_value": "residential", "type": "street", "name": "Smith Street",
                   "locality": "Harris Park", "state": "New South Wales", "postcode": "2150",
                   "countrycode": "AU"},
}
POINT_OF_INTEREST = {  # no street: not an address to deliver to
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [151.0, -33.8]},
    "properties": {"osm_key": "amenity", "osm_value": "cafe", "name": "Smith's Cafe", "countrycode": "AU"},
}


class PhotonStub:
    """What the local stand-in for a Photon server answers, and the requests it saw."""

    def __init__(self):
        """A server answering an empty FeatureCollection at once."""
        self.status = 200
        self.body: object = {"type": "FeatureCollection", "features": []}
        self.answer = threading.Event()  # cleared: the server holds its answer back until it is set
        self.answer.set()
        self.requests: list[str] = []
        self.url = ""


@pytest.fixture
def photon():
    """A Photon stand-in on 127.0.0.1 (a thread with http.server), stopped after the test."""
    stub = PhotonStub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            stub.requests.append(self.path)
            stub.answer.wait(timeout=30)
            body = stub.body if isinstance(stub.body, bytes) else json.dumps(stub.body).encode()
            try:
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up waiting
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield stub
    stub.answer.set()  # let a held answer go, so its thread ends with the server
    server.shutdown()
    server.server_close()


def test_photon_results_lead_and_local_ones_follow(app, photon):
    photon.body = {"type": "FeatureCollection",
                   "features": [POINT_OF_INTEREST, PARRAMATTA_HOUSE, SMITH_STREET, AMPANG_HOUSE]}
    with app.app_context():
        found = suggest("12 Smith St parra", country="AU", provider="photon", photon_url=photon.url, timeout=2)
    # The suburb is whichever of Photon's names the gazetteer has at that postcode; states as stored.
    assert found[:3] == [
        Suggestion("12 Smith Street, Parramatta NSW 2150", "12 Smith Street", "Parramatta", "NSW", "2150", "AU"),
        Suggestion("Smith Street, Harris Park NSW 2150", "Smith Street", "Harris Park", "NSW", "2150", "AU"),
        Suggestion("5, Jalan Ampang, 50450 Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur", "5, Jalan Ampang",
                   "Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur", "50450", "MY"),
    ]
    assert "12 Smith St, Parramatta NSW 2150" in labels(found)
    (path,) = photon.requests
    url = urlsplit(path)
    query = parse_qs(url.query)
    assert url.path == "/api" and query["q"] == ["12 Smith St parra"] and query["limit"] == ["8"]
    assert query["layer"] == ["house", "street"]


def local_only():
    """What the local provider alone offers for the Photon tests' text."""
    return suggest("12 Smith St parra", country="AU")


def test_slow_photon_falls_back_to_local_results_in_time(app, photon):
    photon.answer.clear()  # no answer until the app has given up waiting
    photon.body = {"type": "FeatureCollection", "features": [PARRAMATTA_HOUSE]}
    with app.app_context():
        expected = local_only()
        started = time.monotonic()
        found = suggest("12 Smith St parra", country="AU", provider="photon", photon_url=photon.url, timeout=0.2)
        took = time.monotonic() - started
    assert found == expected and took < 1.0


@pytest.mark.parametrize(("status", "body"), [
    (500, b"Internal Server Error"),
    (200, b"{not json"),
    (200, b"[1, 2, 3]"),
    (200, {"features": "nope"}),
    (200, {"features": [None, 7, {"properties": "x"}]}),
])
def test_failing_photon_falls_back_to_local_results(app, photon, status, body):
    photon.status, photon.body = status, body
    with app.app_context():
        assert suggest("12 Smith St parra", country="AU", provider="photon", photon_url=photon.url,
                       timeout=2) == local_only()


def test_photon_down_falls_back_to_local_results(app):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with app.app_context():
        assert suggest("12 Smith St parra", country="AU", provider="photon",
                       photon_url=f"http://127.0.0.1:{port}", timeout=0.5) == local_only()


def test_photon_is_not_asked_for_short_text_or_by_the_local_provider(app, photon):
    with app.app_context():
        assert suggest("ab", country="AU", provider="photon", photon_url=photon.url) == []
        suggest("12 Smith St parra", country="AU", photon_url=photon.url)
    assert photon.requests == []


# Endpoints ---------------------------------------------------------------------------------------------

HTMX = {"HX-Request": "true"}


def test_suggest_endpoint_returns_options_for_the_listbox(logged_in):
    response = logged_in.get("/addresses/suggest", query_string={"street": "12 Smith St parra", "country": "AU"},
                             headers=HTMX)
    assert response.status_code == 200
    doc = parse(response.get_data())
    assert doc.find("html") is None and doc.find("ul") is None  # the options alone, for the form's listbox
    assert response.headers["Cache-Control"] == "no-store"
    first = doc.by_role("option", "12 Smith St, Parramatta NSW 2150")
    assert first is doc.elements[0] and (first["id"], first["class"]) == ("street-option-0", "suggestion")
    assert {k: first[f"data-{k}"] for k in ("street", "city", "state", "postcode", "country")} == {
        "street": "12 Smith St", "city": "Parramatta", "state": "NSW", "postcode": "2150", "country": "AU"}
    assert doc.by_id("street-option-1").role == "option"


def test_suggest_endpoint_escapes_what_it_shows(app, logged_in):
    committed_customer(app, street='1 "Bold" & <Co> Lane', city="Bondi", state="NSW", postcode="2026")
    html = logged_in.get("/addresses/suggest", query_string={"street": "1 bold co lane"},
                         headers=HTMX).get_data(as_text=True)
    assert "<Co>" not in html
    doc = parse(html)
    option = doc.by_role("option", '1 "Bold" & <Co> Lane, Bondi NSW 2026')
    assert (option["data-street"], option["data-city"], option["data-postcode"]) == ('1 "Bold" & <Co> Lane', "Bondi", "2026")
    assert doc.find("co") is None
    typed = logged_in.get("/addresses/suggest", query_string={"street": '<img src=x onerror="x"> parramatta'},
                          headers=HTMX).get_data(as_text=True)
    assert "<img" not in typed and parse(typed).find("img") is None


def test_suggest_endpoint_answers_nothing_when_there_is_nothing(logged_in):
    for typed in ("", "zq", "zzzz qqqq"):
        response = logged_in.get("/addresses/suggest", query_string={"street": typed}, headers=HTMX)
        assert response.status_code == 200 and response.get_data(as_text=True).strip() == ""


def test_suggest_endpoint_prefers_the_shops_country_by_default(app, logged_in):
    with app.app_context():
        get_settings().country = "MY"
        db.session.commit()
    doc = parse(logged_in.get("/addresses/suggest", query_string={"street": "2150"}, headers=HTMX).get_data())
    countries = [option["data-country"] for option in doc.all_by_role("option")]
    assert countries.index("MY") < countries.index("AU")
    doc = parse(logged_in.get("/addresses/suggest", query_string={"street": "2150", "country": "au"},
                              headers=HTMX).get_data())
    countries = [option["data-country"] for option in doc.all_by_role("option")]
    assert countries.index("AU") < countries.index("MY")


def test_suggest_endpoint_uses_the_configured_photon_server(app, logged_in, photon):
    photon.body = {"type": "FeatureCollection", "features": [PARRAMATTA_HOUSE]}
    app.config.update(ADDRESS_PROVIDER="photon", PHOTON_URL=photon.url, PHOTON_TIMEOUT=2)
    doc = parse(logged_in.get("/addresses/suggest", query_string={"street": "12 Smith St parra"},
                              headers=HTMX).get_data())
    assert doc.by_id("street-option-0")["data-street"] == "12 Smith Street"
    assert len(photon.requests) == 1


def test_states_endpoint_lists_a_countrys_states(logged_in):
    doc = parse(logged_in.get("/addresses/states", query_string={"country": "MY"}, headers=HTMX).get_data())
    assert doc.find("html") is None and len(doc.elements) == 16 and all(e.tag == "option" for e in doc.elements)
    assert doc.by_role("option", "Wilayah Persekutuan Kuala Lumpur").value == "Wilayah Persekutuan Kuala Lumpur"
    default = logged_in.get("/addresses/states", headers=HTMX)
    assert default.status_code == 200
    assert parse(default.get_data()).by_role("option", "New South Wales").value == "NSW"  # the shop's AU
    none = logged_in.get("/addresses/states", query_string={"country": "NZ"}, headers=HTMX)
    assert none.status_code == 200 and none.get_data(as_text=True).strip() == ""


@pytest.mark.parametrize("url", ["/addresses/suggest?street=parramatta", "/addresses/states?country=AU"])
def test_address_endpoints_need_a_login(client, owner, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get(url, headers=HTMX)
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
