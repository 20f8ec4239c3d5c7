"""The order API: auth, recording and matching, idempotency, validation, status changes, errors, OpenAPI."""

import copy
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from crm.api.openapi import spec as openapi_spec
from crm.extensions import SQLITE_BEGIN, db
from crm.models import CUSTOMER_ACTIONS, ApiToken, AuditEvent, Customer, Order
from crm.services import intake, tokens
from crm.services.shop import get_settings

from . import factories
from .conftest import app_config
from .factories import make_customer
from .html import parse

SPEC_URI = "urn:crm:openapi"
ACTOR = 'API token "Checkout"'


def order_body(number="1001", **changes) -> dict:
    """A valid order as a checkout sends it, with top-level fields replaced by `changes`."""
    body = {
        "order_number": number,
        "placed_at": "2026-11-01T10:00:00Z",
        "status": "paid",
        "currency": "AUD",
        "total": "129.90",
        "customer": {
            "email": "anna.nguyen@example.com",
            "phone": "0412 345 678",
            "first_name": "Anna",
            "last_name": "Nguyen",
            "address": {"street": "12 Smith St", "city": "Parramatta", "state": "nsw", "postcode": "2150",
                        "country": "AU"},
        },
        "items": [{"name": "Linen throw", "quantity": 1, "unit_price": "99.90"},
                  {"name": "Gift wrap", "quantity": 2, "unit_price": "15.00"}],
    }
    body.update(changes)
    return body


def with_customer(body: dict, **fields) -> dict:
    """The body with customer fields replaced (None removes one)."""
    body = copy.deepcopy(body)
    for key, value in fields.items():
        if value is None:
            body["customer"].pop(key, None)
        else:
            body["customer"][key] = value
    return body


class OpenApi:
    """Checks real responses against the served OpenAPI document (JSON Schema 2020-12, $refs resolved)."""

    def __init__(self, document: dict):
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def _response(self, path: str, method: str, status: int) -> tuple[str, dict]:
        """The JSON pointer and object of a documented response, following a $ref to components."""
        pointer = f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}/responses/{status}"
        node = self.document["paths"][path][method]["responses"][str(status)]
        if "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.registry.resolver(SPEC_URI).lookup(f"{SPEC_URI}#{pointer}").contents
        return pointer, node

    def check(self, response, path: str, method: str) -> None:
        """The response's status is documented for the operation and its JSON body fits the schema."""
        pointer, node = self._response(path, method, response.status_code)
        assert response.mimetype == "application/json"
        schema = {"$ref": f"{SPEC_URI}#{pointer}/content/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [e.message for e in validator.iter_errors(response.get_json())]
        assert errors == [], (path, method, response.status_code, response.get_json())
        for header in node.get("headers", {}):
            assert header in response.headers, header

    def check_request(self, body: dict) -> list[str]:
        """Messages from the NewOrder schema for a request body (empty when it fits)."""
        schema = {"$ref": f"{SPEC_URI}#/components/schemas/NewOrder"}
        validator = Draft202012Validator(schema, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [e.message for e in validator.iter_errors(body)]


class Api:
    """Requests to the order API with a bearer token."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def headers(self, token: str | None = None) -> dict:
        """The Authorization header."""
        return {"Authorization": f"Bearer {token or self.token}"}

    def post(self, body, token: str | None = None):
        """POST /api/v1/orders with a JSON body."""
        return self.client.post("/api/v1/orders", json=body, headers=self.headers(token))

    def patch(self, number: str, body, token: str | None = None):
        """PATCH /api/v1/orders/<number>."""
        return self.client.patch(f"/api/v1/orders/{number}", json=body, headers=self.headers(token))

    def get(self, number: str):
        """GET /api/v1/orders/<number>."""
        return self.client.get(f"/api/v1/orders/{number}", headers=self.headers())


@pytest.fixture
def token(app) -> str:
    """An active API token named "Checkout"."""
    with app.app_context():
        _, raw = tokens.create_token("Checkout")
        db.session.commit()
    return raw


@pytest.fixture
def api(client, token) -> Api:
    """The API client with a valid token."""
    return Api(client, token)


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    """The OpenAPI document the app serves, as a checker."""
    return OpenApi(openapi_spec())


def count(app, model, *where) -> int:
    """Rows of a model (matching the conditions)."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def customer_state(app, customer_id: int) -> dict:
    """A customer's stored fields and figures, for before/after comparisons."""
    with app.app_context():
        c = db.session.get(Customer, customer_id)
        address = c.address
        return {"first_name": c.first_name, "last_name": c.last_name, "email": c.email, "phone": c.phone,
                "whatsapp": c.whatsapp, "source": c.source, "order_count": c.order_count,
                "total_spent": c.total_spent, "segment": c.segment, "first_order_at": c.first_order_at,
                "last_order_at": c.last_order_at, "updated_at": c.updated_at,
                "address": None if address is None else (address.street, address.city, address.state,
                                                         address.postcode, address.country)}


# ---- recording orders ---------------------------------------------------------------------------------


def test_new_order_adds_the_customer_with_its_figures_and_trail(app, api, openapi):
    response = api.post(order_body())
    openapi.check(response, "/orders", "post")
    assert response.status_code == 201
    body = response.get_json()
    assert body["order_number"] == "1001" and body["customer_created"] is True
    assert response.headers["Location"].endswith("/api/v1/orders/1001")
    state = customer_state(app, body["customer_id"])
    assert state["source"] == "order"
    assert (state["first_name"], state["last_name"]) == ("Anna", "Nguyen")
    assert (state["email"], state["phone"]) == ("anna.nguyen@example.com", "+61412345678")
    assert state["address"] == ("12 Smith St", "Parramatta", "NSW", "2150", "AU")
    assert (state["order_count"], state["total_spent"], state["segment"]) == (1, 12990, "new")
    assert state["last_order_at"] == datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.channel, order.status, order.currency, order.total) == ("checkout", "paid", "AUD", 12990)
        assert len(order.payload_hash) == 64
        assert [(i.name, i.quantity, i.unit_price) for i in order.items] == [
            ("Linen throw", 1, 9990), ("Gift wrap", 2, 1500)]
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CUSTOMER_ACTIONS))
                                    .order_by(AuditEvent.id)).all()  # not the token's own creation
        assert [(e.action, e.actor) for e in events] == [("create", ACTOR), ("order", ACTOR)]
        assert events[0].detail == "Added from checkout order 1001"
        assert events[1].detail == "Order 1001 received from the checkout: paid, $129.90"
        customer = db.session.get(Customer, body["customer_id"])
        assert "anna" in customer.search_text and customer.name_key == "anna nguyen"


def test_new_customer_shows_in_the_list_and_profile(app, api, logged_in):
    customer_id = api.post(order_body()).get_json()["customer_id"]
    listed = parse(logged_in.get("/customers?segment=new").get_data())
    assert listed.link("Anna Nguyen")["href"] == f"/customers/{customer_id}"
    profile = parse(logged_in.get(f"/customers/{customer_id}").get_data())
    assert "1001" in profile.text and ACTOR in profile.text


def test_retry_with_the_same_content_is_200_and_changes_nothing(app, api, openapi):
    first = api.post(order_body()).get_json()
    before = customer_state(app, first["customer_id"])
    events = count(app, AuditEvent)
    # The same content spelled differently: keys in another order, email case, phone format, amount digits.
    again = order_body(total="129.9")
    again = with_customer(again, email="Anna.Nguyen@EXAMPLE.com", phone="+61 412 345 678")
    again["placed_at"] = "2026-11-01T20:00:00+10:00"
    again = dict(reversed(list(again.items())))
    response = api.post(again)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 200
    assert response.get_json() == {**first, "customer_created": False}
    assert customer_state(app, first["customer_id"]) == before
    assert count(app, Order) == 1 and count(app, Customer) == 1 and count(app, AuditEvent) == events


@pytest.mark.parametrize("change", [
    lambda b: b.update(total="130.00"),
    lambda b: b.update(status="refunded"),
    lambda b: b.update(placed_at="2026-11-02T10:00:00Z"),
    lambda b: b["items"][0].update(quantity=2),
    lambda b: b.update(items=[]),
    lambda b: b["customer"].update(first_name="Annabel"),
    lambda b: b["customer"]["address"].update(postcode="2000"),
], ids=["total", "status", "placed_at", "quantity", "items", "name", "postcode"])
def test_same_number_with_other_content_is_409(app, api, openapi, change):
    api.post(order_body())
    events = count(app, AuditEvent)
    body = order_body()
    change(body)
    response = api.post(body)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 409
    assert response.get_json() == {
        "errors": {"order_number": "This order number was already sent with different content"}}
    assert count(app, Order) == 1 and count(app, AuditEvent) == events


def test_number_of_an_order_recorded_by_hand_is_409(app, api):
    with app.app_context():
        factories.order(make_customer("Ben", "Lee", email="ben@example.com"), 500, number="1001", channel="manual")
        db.session.commit()
    response = api.post(order_body())
    assert response.status_code == 409
    assert "recorded by hand" in response.get_json()["errors"]["order_number"]


def test_matched_by_email_whatever_its_case(app, api):
    with app.app_context():
        customer_id = make_customer("Anna", "Nguyen", email="anna.nguyen@example.com").id
        db.session.commit()
    response = api.post(with_customer(order_body(), email="ANNA.NGUYEN@Example.com"))
    assert response.status_code == 201
    assert response.get_json() == {"order_number": "1001", "customer_id": customer_id, "customer_created": False}
    assert count(app, Customer) == 1
    assert customer_state(app, customer_id)["order_count"] == 1


@pytest.mark.parametrize("stored", ["phone", "whatsapp"])
def test_matched_by_phone_parsed_in_the_shops_country(app, api, stored):
    with app.app_context():
        customer_id = make_customer("Anna", "Nguyen", **{stored: "+61412345678"}).id
        db.session.commit()
    response = api.post(with_customer(order_body(), email="new.address@example.com", phone="0412 345 678"))
    assert response.get_json()["customer_id"] == customer_id
    assert response.get_json()["customer_created"] is False
    # The email was empty, so the order fills it in.
    assert customer_state(app, customer_id)["email"] == "new.address@example.com"


def test_email_wins_over_phone(app, api):
    with app.app_context():
        by_email = make_customer("Anna", "Nguyen", email="anna.nguyen@example.com").id
        make_customer("Other", "Person", phone="+61412345678")
        db.session.commit()
    assert api.post(order_body()).get_json()["customer_id"] == by_email


def test_a_customer_with_only_a_phone_is_added(app, api):
    response = api.post(with_customer(order_body(), email=None))
    assert response.status_code == 201 and response.get_json()["customer_created"] is True
    state = customer_state(app, response.get_json()["customer_id"])
    assert (state["email"], state["phone"]) == (None, "+61412345678")
    # A second order by the same number finds them.
    again = api.post(with_customer(order_body("1002"), email=None, phone="+61412345678"))
    assert again.get_json()["customer_id"] == response.get_json()["customer_id"]


def test_known_customer_gets_empty_fields_filled_and_nothing_overwritten(app, api):
    with app.app_context():
        customer = make_customer("Annie", "", email="anna.nguyen@example.com", city="Bondi", state="NSW",
                                 postcode="2026", street="1 Beach Rd")
        customer_id = customer.id
        db.session.commit()
    body = with_customer(order_body(), first_name="Anna", last_name="Nguyen")
    assert api.post(body).status_code == 201
    state = customer_state(app, customer_id)
    assert state["first_name"] == "Annie"  # what the owner typed stays
    assert state["last_name"] == "Nguyen"  # was empty
    assert state["phone"] == "+61412345678"  # was empty
    assert state["address"] == ("1 Beach Rd", "Bondi", "NSW", "2026", "AU")  # had one: left alone
    assert state["source"] == "manual"
    with app.app_context():
        edits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")
                                   .order_by(AuditEvent.id)).all()
        assert [(e.field, e.old_value, e.new_value, e.actor) for e in edits] == [
            ("Last name", None, "Nguyen", ACTOR), ("Contact number", None, "0412 345 678", ACTOR)]
        assert "nguyen" in db.session.get(Customer, customer_id).search_text


def test_known_customer_without_an_address_gets_the_orders(app, api):
    with app.app_context():
        customer_id = make_customer("Anna", "Nguyen", email="anna.nguyen@example.com").id
        db.session.commit()
    api.post(order_body())
    assert customer_state(app, customer_id)["address"] == ("12 Smith St", "Parramatta", "NSW", "2150", "AU")


def test_address_country_defaults_to_the_shops(app, api):
    body = order_body()
    del body["customer"]["address"]["country"]
    customer_id = api.post(body).get_json()["customer_id"]
    assert customer_state(app, customer_id)["address"][-1] == "AU"


def test_minimal_order(app, api):
    body = {"order_number": "A-1", "placed_at": "2026-11-01T10:00:00+08:00", "currency": "aud", "total": "0",
            "customer": {"email": "min@example.com", "first_name": "Min"}}
    response = api.post(body)
    assert response.status_code == 201
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total, order.items, order.currency) == ("paid", 0, [], "AUD")
        assert order.placed_at == datetime(2026, 11, 1, 2, tzinfo=timezone.utc)
        assert order.customer.address is None


def test_null_counts_as_left_out_and_the_document_says_so(app, api, openapi):
    # Found by tests/test_api_schema_fuzz.py: the server took these and the document refused them.
    body = order_body(status=None, items=[{"name": "Mug", "quantity": None, "unit_price": "9.50"}])
    body["customer"].update(phone=None, last_name=None)
    body["customer"]["address"]["country"] = ""
    assert openapi.check_request(body) == []
    response = api.post(body)
    assert response.status_code == 201
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status == "paid" and [(i.name, i.quantity) for i in order.items] == [("Mug", 1)]
        assert (order.customer.phone, order.customer.last_name, order.customer.address.country) == (None, "", "AU")
    no_address = order_body("1002", items=None)
    no_address["customer"]["address"] = None
    assert openapi.check_request(no_address) == []
    assert api.post(no_address).status_code == 201
    assert openapi.check_request(order_body(currency=None)) != []  # required fields stay required
    assert api.post(order_body("1003", currency=None)).get_json() == {"errors": {"currency": "Required"}}


def test_unknown_fields_are_ignored(api):
    body = order_body(coupon="SPRING", items=[{"name": "Mug", "quantity": 1, "unit_price": "9.50", "sku": "M1"}])
    assert api.post(body).status_code == 201


def test_items_need_not_add_up_to_the_total(api):
    assert api.post(order_body(total="200.00")).status_code == 201  # shipping, fees and discounts differ


# ---- validation -----------------------------------------------------------------------------------------


def _drop(*path):
    """A change that deletes the field at this path."""
    def change(body):
        """Delete the field."""
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _set(*path, value):
    """A change that sets the field at this path."""
    def change(body):
        """Set the field."""
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize(("change", "field", "message"), [
    (_drop("order_number"), "order_number", "Required"),
    (_set("order_number", value="  "), "order_number", "Required"),
    (_set("order_number", value=1001), "order_number", "Must be a string"),
    (_set("order_number", value="10/01"), "order_number", "letters, digits"),
    (_set("order_number", value="x" * 65), "order_number", "letters, digits"),
    (_drop("placed_at"), "placed_at", "Required"),
    (_set("placed_at", value="yesterday"), "placed_at", "ISO 8601"),
    (_set("placed_at", value="2026-11-01"), "placed_at", "ISO 8601"),
    (_set("placed_at", value="2026-02-30T10:00:00Z"), "placed_at", "ISO 8601"),
    (_set("placed_at", value="2026-11-01T10:00:00"), "placed_at", "time zone offset"),
    (_set("placed_at", value="2999-01-01T00:00:00Z"), "placed_at", "future"),
    (_set("placed_at", value="1900-01-01T00:00:00Z"), "placed_at", "before 1970"),
    (_set("status", value="shipped"), "status", "Use one of paid, cancelled, refunded"),
    (_drop("currency"), "currency", "Required"),
    (_set("currency", value="MYR"), "currency", "This shop takes orders in AUD"),
    (_set("currency", value="dollars"), "currency", "three-letter"),
    (_drop("total"), "total", "Required"),
    (_set("total", value=129.9), "total", "as a string"),
    (_set("total", value="-1.00"), "total", "Can't be negative"),
    (_set("total", value="12.999"), "total", "Use at most 2 decimal places"),
    (_set("total", value="1e3"), "total", "Enter an amount such as 129.90"),
    (_set("total", value="NaN"), "total", "Enter an amount such as 129.90"),
    (_set("total", value="99999999999999"), "total", "Too large"),
    (_drop("customer"), "customer", "Required"),
    (_set("customer", value="anna@example.com"), "customer", "Must be an object"),
    (_set("customer", "email", value="not-an-email"), "customer.email", "@-sign"),
    (_set("customer", "email", value="anna@@example.com"), "customer.email", ""),
    (_set("customer", "phone", value="0412"), "customer.phone", "not possible"),
    (_set("customer", "phone", value="call me"), "customer.phone", "not a phone number"),
    (_set("customer", "phone", value=412345678), "customer.phone", "Must be a string"),
    (lambda b: b.update(customer={"first_name": "Anna"}), "customer", "Give an email or a phone number"),
    (_drop("customer", "first_name"), "customer.first_name", "Required"),
    (_set("customer", "first_name", value="A" * 101), "customer.first_name", "at most 100"),
    (_set("customer", "last_name", value="Bad\x00Name"), "customer.last_name", "control characters"),
    (_set("customer", "address", value=[]), "customer.address", "Must be an object"),
    (_set("customer", "address", "country", value="XX"), "customer.address.country", "Unknown country"),
    (_set("customer", "address", "country", value="Australia"), "customer.address.country", "two-letter"),
    (_set("customer", "address", "state", value="Narnia"), "customer.address.state",
     "Choose a state of Australia"),
    (_set("customer", "address", "postcode", value="215"), "customer.address.postcode", "4 digits"),
    (_set("customer", "address", "street", value="x" * 201), "customer.address.street", "at most 200"),
    (_set("items", value={"name": "Mug"}), "items", "Must be a list"),
    (_set("items", value=[{"name": "Mug", "unit_price": "1"}] * 501), "items", "at most 500"),
    (_set("items", 0, value="Mug"), "items.0", "Must be an object"),
    (_drop("items", 0, "name"), "items.0.name", "Required"),
    (_set("items", 1, "quantity", value=0), "items.1.quantity", "between 1 and"),
    (_set("items", 1, "quantity", value=1.5), "items.1.quantity", "whole number"),
    (_set("items", 1, "quantity", value="2"), "items.1.quantity", "whole number"),
    (_set("items", 1, "quantity", value=True), "items.1.quantity", "whole number"),
    (_drop("items", 0, "unit_price"), "items.0.unit_price", "Required"),
    (_set("items", 0, "unit_price", value="-5"), "items.0.unit_price", "Can't be negative"),
    (_set("items", 0, "unit_price", value="1.234"), "items.0.unit_price", "decimal places"),
])
def test_bad_fields_are_422_with_a_message_per_field(app, api, openapi, change, field, message):
    body = order_body()
    change(body)
    response = api.post(body)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert message in errors[field]
    assert count(app, Order) == 0 and count(app, Customer) == 0


def test_every_problem_is_reported_at_once(api):
    body = order_body(total="-1", currency="USD")
    body["customer"]["email"] = "nope"
    body["items"][1]["quantity"] = 0
    errors = api.post(body).get_json()["errors"]
    assert set(errors) == {"total", "currency", "customer.email", "items.1.quantity"}


def test_amounts_follow_the_shops_currency(app, api):
    with app.app_context():
        get_settings().currency = "JPY"
        db.session.commit()
    body = order_body(currency="JPY", total="12990", items=[{"name": "Tea", "quantity": 1, "unit_price": "12990"}])
    assert api.post(body).status_code == 201
    response = api.post(order_body("1002", currency="JPY", total="10.50", items=[]))
    assert response.get_json()["errors"] == {"total": "Use at most 0 decimal places"}
    assert api.get("1001").get_json()["total"] == "12990"


def test_openapi_request_schema_agrees_with_the_server(openapi):
    assert openapi.check_request(order_body()) == []
    assert openapi.check_request(openapi.document["paths"]["/orders"]["post"]["requestBody"]["content"]
                                 ["application/json"]["example"]) == []
    assert openapi.check_request(with_customer(order_body(), email=None, phone=None)) != []
    assert openapi.check_request(order_body(total="-1")) != []


# ---- bodies the API can't read ---------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type", "message"), [
    ("{", "application/json", "The body is not valid JSON"),
    ("", "application/json", "The body is not valid JSON"),
    ('{"total": NaN}', "application/json", "The body is not valid JSON"),
    (b"\xff\xfe\x00", "application/json", "The body is not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "application/json", "The body is not valid JSON"),
    ("[]", "application/json", "Send a JSON object"),
    ('"1001"', "application/json", "Send a JSON object"),
    ("order_number=1001", "application/x-www-form-urlencoded", "Send JSON with Content-Type: application/json"),
    ('{"order_number": "1001"}', "text/plain", "Send JSON with Content-Type: application/json"),
    ('{"order_number": "1001"}', None, "Send JSON with Content-Type: application/json"),
])
def test_unreadable_bodies_are_400(api, openapi, data, content_type, message):
    headers = api.headers()
    if content_type:
        headers["Content-Type"] = content_type
    response = api.client.post("/api/v1/orders", data=data, headers=headers)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"body": message}}


def test_json_with_a_charset_or_a_json_suffix_is_accepted(api):
    for number, content_type in (("1", "application/json; charset=utf-8"), ("2", "application/vnd.crm+json")):
        response = api.client.post("/api/v1/orders", data=json.dumps(order_body(number)),
                                   headers={**api.headers(), "Content-Type": content_type})
        assert response.status_code == 201


def test_body_over_one_megabyte_is_413(app, api, openapi):
    body = order_body(note="x" * (1024 * 1024))
    response = api.post(body)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 413
    assert response.get_json() == {"errors": {"body": "Send at most 1 MB"}}
    assert count(app, Order) == 0
    # Just under the limit is read (and ignored fields don't matter).
    assert api.post(order_body(note="x" * (1024 * 1024 - 1000))).status_code == 201


def test_the_body_limit_is_the_apis_alone(app):
    assert app.config["MAX_CONTENT_LENGTH"] is None  # CSV import elsewhere takes bigger uploads


# ---- auth -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "error"), [
    (None, None),
    ("Basic dXNlcjpwYXNz", None),
    ("Bearer", None),
    ("Bearer crm_not-a-real-token", "invalid_token"),
    ("Bearer something-else", "invalid_token"),
])
def test_missing_or_unknown_token_is_401(app, client, token, openapi, header, error):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/orders", json=order_body(), headers=headers)
    openapi.check(response, "/orders", "post")
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="crm"')
    assert (f'error="{error}"' in challenge) == bool(error)
    assert "token" in response.get_json()["errors"]
    assert count(app, Order) == 0


def test_revoked_token_is_401(app, api, openapi):
    assert api.post(order_body()).status_code == 201
    with app.app_context():
        tokens.revoke(db.session.scalars(select(ApiToken)).one())
        db.session.commit()
    for response in (api.post(order_body("1002")), api.get("1001"), api.patch("1001", {"status": "refunded"})):
        assert response.status_code == 401
    openapi.check(api.post(order_body("1003")), "/orders", "post")
    assert count(app, Order) == 1


def test_token_scheme_is_case_insensitive(api):
    response = api.client.post("/api/v1/orders", json=order_body(), headers={"Authorization": f"bearer {api.token}"})
    assert response.status_code == 201


def test_last_used_time_is_kept_to_the_minute(app, api):
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().last_used_at is None
    api.post(order_body())
    with app.app_context():
        first = db.session.scalars(select(ApiToken)).one().last_used_at
        assert first is not None
    api.post(order_body("1002"))
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.last_used_at == first  # within the minute: not written again
        token.last_used_at = first - timedelta(minutes=5)
        db.session.commit()
    api.get("1001")
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().last_used_at > first - timedelta(minutes=5)


def test_api_needs_no_csrf_token_or_login(database_url, token):
    from crm import create_app

    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    response = app.test_client().post("/api/v1/orders", json=order_body(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    with app.app_context():
        db.engine.dispose()


def test_openapi_document_is_public_and_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate_spec(document)
    assert document["openapi"].startswith("3.1")
    assert document == openapi_spec()


# ---- status changes and reading an order -----------------------------------------------------------------


def test_refund_moves_a_vip_back_to_returning(app, api, openapi):
    with app.app_context():
        get_settings().vip_threshold = 100_000  # 1,000.00
        db.session.commit()
    api.post(order_body("1001", total="150.00", items=[]))
    customer_id = api.post(order_body("1002", total="900.00", items=[])).get_json()["customer_id"]
    state = customer_state(app, customer_id)
    assert (state["segment"], state["order_count"], state["total_spent"]) == ("vip", 2, 105000)
    with app.app_context():
        assert dict(db.session.execute(select(Customer.segment, func.count()).group_by(Customer.segment)).all()) \
            == {"vip": 1}

    response = api.patch("1002", {"status": "refunded"})
    openapi.check(response, "/orders/{order_number}", "patch")
    assert response.status_code == 200
    assert response.get_json()["status"] == "refunded"
    state = customer_state(app, customer_id)
    assert (state["segment"], state["order_count"], state["total_spent"]) == ("new", 1, 15000)

    api.post(order_body("1003", total="10.00", items=[]))
    assert customer_state(app, customer_id)["segment"] == "returning"
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.detail.like("Order 1002 marked%"))).one()
        assert (event.action, event.actor, event.old_value, event.new_value) == ("order", ACTOR, "paid", "refunded")
        assert event.detail == "Order 1002 marked refunded (was paid)"

    # Paid again: the figures come back.
    api.patch("1002", {"status": "paid"})
    state = customer_state(app, customer_id)
    assert (state["segment"], state["order_count"], state["total_spent"]) == ("vip", 3, 106000)


def test_cancel_then_the_same_status_again_is_a_200_no_op(app, api, openapi):
    api.post(order_body())
    assert api.patch("1001", {"status": "cancelled"}).status_code == 200
    events = count(app, AuditEvent)
    response = api.patch("1001", {"status": "cancelled"})
    openapi.check(response, "/orders/{order_number}", "patch")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert count(app, AuditEvent) == events


def test_patch_of_an_unknown_order_is_404(api, openapi):
    response = api.patch("9999", {"status": "refunded"})
    openapi.check(response, "/orders/{order_number}", "patch")
    assert response.status_code == 404
    assert response.get_json() == {"errors": {"order_number": "No order has this number"}}


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"status": "shipped"}, "status", 422),
    ({}, "status", 422),
    ({"status": None}, "status", 422),
    (["refunded"], "body", 400),
])
def test_bad_status_change(app, api, openapi, body, field, status):
    api.post(order_body())
    response = api.patch("1001", body)
    openapi.check(response, "/orders/{order_number}", "patch")
    assert response.status_code == status
    assert field in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalars(select(Order.status)).one() == "paid"


def test_patch_needs_json(api):
    api.post(order_body())
    response = api.client.patch("/api/v1/orders/1001", data="status=refunded", headers=api.headers())
    assert response.status_code == 400


def test_get_order(api, openapi):
    customer_id = api.post(order_body()).get_json()["customer_id"]
    response = api.get("1001")
    openapi.check(response, "/orders/{order_number}", "get")
    assert response.get_json() == {
        "order_number": "1001", "customer_id": customer_id, "placed_at": "2026-11-01T10:00:00Z", "status": "paid",
        "currency": "AUD", "total": "129.90", "channel": "checkout",
        "items": [{"name": "Linen throw", "quantity": 1, "unit_price": "99.90"},
                  {"name": "Gift wrap", "quantity": 2, "unit_price": "15.00"}]}
    assert response.headers["Cache-Control"] == "no-store"
    missing = api.get("404")
    openapi.check(missing, "/orders/{order_number}", "get")
    assert missing.status_code == 404


# ---- errors in the API's shape --------------------------------------------------------------------------


def test_wrong_method_and_unknown_path_answer_in_json(api, openapi):
    response = api.client.delete("/api/v1/orders/1001", headers=api.headers())
    openapi.check(response, "/orders/{order_number}", "get")  # 405 is documented for every operation
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    response = api.client.get("/api/v1/orders", headers=api.headers())
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    response = api.client.get("/api/v1/customers", headers=api.headers())
    assert response.status_code == 404
    assert response.get_json() == {"errors": {"path": "There is nothing at this address"}}


def test_an_unexpected_error_is_a_json_500_and_records_nothing(app, api, openapi, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    real = intake.record_order

    def broken(data, token_name):
        """Record the order, then fail before the commit."""
        real(data, token_name)
        raise RuntimeError("boom")

    monkeypatch.setattr(intake, "record_order", broken)
    response = api.post(order_body())
    openapi.check(response, "/orders", "post")
    assert response.status_code == 500
    assert response.get_json() == {"errors": {"server": "Something went wrong; try again"}}
    assert count(app, Order) == 0 and count(app, Customer) == 0


def test_a_lost_race_is_retried(app, api, monkeypatch):
    real = intake.record_order
    calls = []

    def racing(data, token_name):
        """Lose a unique-index race the first time, as a concurrent insert would make it."""
        calls.append(1)
        if len(calls) == 1:
            real(data, token_name)
            raise IntegrityError("INSERT", {}, Exception("duplicate key value violates unique constraint"))
        return real(data, token_name)

    monkeypatch.setattr(intake, "record_order", racing)
    response = api.post(order_body())
    assert response.status_code == 201 and len(calls) == 2
    assert count(app, Order) == 1 and count(app, Customer) == 1


def test_a_database_locked_for_too_long_is_503(app, api, openapi, monkeypatch):
    def locked(data, token_name):
        """SQLite giving up on the write lock."""
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(intake, "record_order", locked)
    response = api.post(order_body())
    openapi.check(response, "/orders", "post")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"


def test_real_responses_match_the_openapi_document(app, api, client, openapi):
    """One pass through every documented answer, each validated against /api/v1/openapi.json."""
    document = client.get("/api/v1/openapi.json").get_json()
    checker = OpenApi(document)
    cases = [
        ("/orders", "post", api.post(order_body()), 201),
        ("/orders", "post", api.post(order_body()), 200),
        ("/orders", "post", api.post(order_body(total="1.00")), 409),
        ("/orders", "post", api.post(order_body("1002", total="-1")), 422),
        ("/orders", "post", client.post("/api/v1/orders", data="{", headers={**api.headers(),
                                                                              "Content-Type": "application/json"}), 400),
        ("/orders", "post", api.post(order_body("1003", note="x" * (1024 * 1024))), 413),
        ("/orders", "post", client.post("/api/v1/orders", json=order_body("1004")), 401),
        ("/orders/{order_number}", "patch", api.patch("1001", {"status": "refunded"}), 200),
        ("/orders/{order_number}", "patch", api.patch("1001", {"status": "refunded"}), 200),
        ("/orders/{order_number}", "patch", api.patch("nope", {"status": "refunded"}), 404),
        ("/orders/{order_number}", "patch", api.patch("1001", {"status": "lost"}), 422),
        ("/orders/{order_number}", "get", api.get("1001"), 200),
        ("/orders/{order_number}", "get", api.get("nope"), 404),
        ("/orders/{order_number}", "get", client.delete("/api/v1/orders/1001", headers=api.headers()), 405),
    ]
    for path, method, response, status in cases:
        assert response.status_code == status, (path, method, response.get_json())
        checker.check(response, path, method)


# ---- SQLite transactions --------------------------------------------------------------------------------


def test_api_writes_begin_immediate_and_the_connection_goes_back_to_normal(app, api):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
    seen = []
    with app.app_context():
        engine = db.engine

        def remember(conn, cursor, statement, *args):
            """Keep each statement sent."""
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", remember)
        try:
            assert api.post(order_body()).status_code == 201
            assert "BEGIN IMMEDIATE" in seen
            seen.clear()
            db.session.execute(select(Customer.id)).all()
            dbapi = db.session.connection().connection.driver_connection
            assert dbapi.isolation_level == ""  # sqlite3's own handling again for the dashboard
            assert "BEGIN IMMEDIATE" not in seen
            db.session.rollback()
            db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            assert db.session.connection().connection.driver_connection.in_transaction
            db.session.rollback()
        finally:
            event.remove(engine, "before_cursor_execute", remember)


def test_begin_immediate_stays_with_the_transaction_that_asked(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            dbapi = conn.connection.driver_connection
            conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            conn.exec_driver_sql("SELECT 1")
            assert dbapi.in_transaction  # BEGIN IMMEDIATE came first, before any write
            conn.rollback()
            conn.execution_options(**{SQLITE_BEGIN: None})
            conn.exec_driver_sql("SELECT 1")
            assert dbapi.isolation_level == "" and not dbapi.in_transaction  # sqlite3's own handling again
            conn.rollback()
            conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
            conn.execution_options(**{SQLITE_BEGIN: None}, isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("SELECT 1")
            assert dbapi.isolation_level is None  # SQLAlchemy's AUTOCOMMIT level is left as it is
