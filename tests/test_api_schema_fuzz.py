"""Schemathesis over the order API's own OpenAPI document: whatever is sent, no 5xx, and every answer (status,
content type, headers, body) is one the document describes.

Two runs over the document served at /api/v1/openapi.json:

- every operation as Schemathesis makes it up (the document's examples, boundary values, random valid and
  invalid requests, methods the paths don't take) with a valid bearer token, and a tenth as many with none
  and with a wrong one (every one of those must be refused, 401);
- the order operations with valid requests steered into the shop: its currency, real emails and phone numbers,
  and a few order numbers shared by POST, GET and PATCH, so that orders are recorded, retried, refused as
  conflicts, read back and changed (random requests alone almost never get past the checks).

How many requests is the Hypothesis profile's choice: "ci" by default (about a minute per database), "fuzz"
with HYPOTHESIS_PROFILE=fuzz for a longer hunt. Neither keeps an example database in the work tree.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from crm import create_app
from crm.extensions import db
from crm.services import tokens

from .conftest import app_config

# Examples per operation under each profile. The profile says which regime a run is in (the other fuzz suites
# read the same variable); the count is this module's, as its requests are its own cost.
EXAMPLES = {"ci": 400, "fuzz": 4000}
# Without a valid token every request stops at the door: a tenth as many examples show that.
UNAUTHENTICATED_SHARE = 0.1
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, unsupported_method, ignored_auth]
WRONG_TOKEN = "crm_" + "x" * 43

# What steered requests are made of: values the shop (AUD, Australia) takes, in the spellings checkouts use.
NUMBERS = ["1001", "1002", "A-17", "web#3"]
EMAILS = ["anna@example.com", "ANNA@example.com", "ben.lee@example.com.au", None]
PHONES = ["0412 345 678", "+61412345678", "(02) 9876 5432", None]
TIMES = ["2025-01-31T23:59:59Z", "2025-06-01T10:00:00+10:00", "1970-01-01T00:00:00Z",
         "2026-02-28T12:30:00.5-03:00"]
AMOUNTS = ["0", "0.5", "129.90", "129.9", "99999.99"]
STATES = ["NSW", "vic", "Queensland"]
POSTCODES = ["2150", "3000", "4000"]


def fuzz_settings(share: float = 1.0) -> settings:
    """The profile named by HYPOTHESIS_PROFILE ("ci" unless told), with `share` of this module's example count.

    Hypothesis ships a "ci" profile; "fuzz" is registered here when no other suite did it first. Requests
    write to the database, whose speed depends on the machine's load: no deadline, no too-slow check. The
    app fixture is deliberately shared by a test's examples (they add orders to one shop), and no example
    database is written into the work tree.
    """
    for name in EXAMPLES:
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, database=None, deadline=None)
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    parent = settings.get_profile(name)
    quiet = {HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture}
    examples = max(1, round(EXAMPLES.get(name, parent.max_examples) * share))
    return settings(parent, max_examples=examples, database=None,
                    deadline=None, suppress_health_check=sorted(quiet | set(parent.suppress_health_check), key=str))


def bearer(app) -> dict:
    """The Authorization header with a new active token."""
    with app.app_context():
        _, raw = tokens.create_token("Checkout")
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def valid_token(app) -> dict:
    """A valid token's Authorization header."""
    return bearer(app)


@pytest.fixture(params=["missing", "wrong"])
def no_valid_token(request, app) -> dict:
    """No Authorization header, or a token the shop never issued (with a real one in the shop)."""
    bearer(app)
    return {} if request.param == "missing" else {"Authorization": f"Bearer {WRONG_TOKEN}"}


@pytest.fixture
def token_header(app) -> dict:
    """A valid token's Authorization header, with two of the shared order numbers already recorded."""
    header = bearer(app)
    client = app.test_client()
    for number, phone in zip(NUMBERS[:2], PHONES, strict=False):
        body = {"order_number": number, "placed_at": TIMES[0], "currency": "AUD", "total": "10.00",
                "customer": {"phone": phone, "first_name": "Sam"}}
        assert client.post("/api/v1/orders", json=body, headers=header).status_code == 201
    return header


# The document as the app serves it, read at collection time from an app of its own: serving it touches no
# database, and Schemathesis needs the operations before the fixtures exist. Requests go to each test's app.
DOCUMENT, READER = "/api/v1/openapi.json", create_app(app_config("sqlite://"))
schema = schemathesis.openapi.from_wsgi(DOCUMENT, READER)
# Steered requests draw from Hypothesis as they go, which the document's fixed examples can't: no examples.
orders = schemathesis.openapi.from_wsgi(
    DOCUMENT, READER, config=schemathesis.Config.from_dict({"phases": {"examples": {"enabled": False}}}),
).include(operation_id=["recordOrder", "getOrder", "changeOrderStatus"])


@schema.parametrize()
@settings(fuzz_settings())
def test_every_answer_is_documented_and_none_is_a_server_error(case, app, valid_token):
    case.call_and_validate(headers=valid_token, checks=CHECKS, app=app)


@schema.parametrize()
@settings(fuzz_settings(UNAUTHENTICATED_SHARE))
def test_without_a_valid_token_nothing_gets_past_the_door(case, app, no_valid_token):
    response = case.call_and_validate(headers=no_valid_token, checks=CHECKS, app=app)
    if case.operation.definition.raw.get("security") != []:  # all but the public openapi.json
        assert response.status_code in (401, 405), response.text  # 405: a method the path doesn't take


def steer(case, data) -> None:
    """Make a valid request one the shop can record: its currency, real contacts, shared order numbers.

    Invalid requests are left as they were made up; they are the other test's business too.
    """
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    if "order_number" in case.path_parameters:
        case.path_parameters["order_number"] = data.draw(st.sampled_from(NUMBERS))
    body = case.body
    if case.operation.method.upper() != "POST" or not isinstance(body, dict):
        return
    body.update(currency="AUD", placed_at=data.draw(st.sampled_from(TIMES)),
                total=data.draw(st.sampled_from(AMOUNTS)))
    if data.draw(st.booleans()):
        body["order_number"] = data.draw(st.sampled_from(NUMBERS))
    customer = body.get("customer")
    if not isinstance(customer, dict):
        return
    customer["email"] = data.draw(st.sampled_from(EMAILS))
    customer["phone"] = data.draw(st.sampled_from(PHONES))
    if customer["email"] is None and customer["phone"] is None:
        customer["email"] = EMAILS[0]
    if isinstance(customer.get("address"), dict):
        customer["address"].update(country="AU", state=data.draw(st.sampled_from(STATES)),
                                   postcode=data.draw(st.sampled_from(POSTCODES)))
    for item in body.get("items") or ():
        item["unit_price"] = data.draw(st.sampled_from(AMOUNTS))


@orders.parametrize()
@orders.given(data=st.data())
@settings(fuzz_settings())
def test_orders_recorded_read_and_changed_answer_as_documented(case, data, app, token_header):
    steer(case, data)
    case.call_and_validate(headers=token_header, checks=CHECKS, app=app)
