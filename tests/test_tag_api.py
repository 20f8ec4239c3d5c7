"""The order API's customer.tags: names added to the customer's tags (never replacing them), new tags made,
each in the trail under the token; bad tags are a 422 naming the item, and nothing is recorded."""

import pytest
from sqlalchemy import select

from crm.api.openapi import spec as openapi_spec
from crm.extensions import db
from crm.models import AuditEvent, Customer, Order, Tag
from crm.services import tags
from crm.services import tokens as api_tokens

from .test_api import ACTOR, Api, OpenApi, order_body, with_customer


@pytest.fixture
def api(app, client) -> Api:
    """The order API with an active token named "Checkout"."""
    with app.app_context():
        _, raw = api_tokens.create_token("Checkout")
        db.session.commit()
    return Api(client, raw)


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    """The served OpenAPI document, as a checker."""
    return OpenApi(openapi_spec())


def tag_names(app, email="anna.nguyen@example.com") -> list[str]:
    with app.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.email == email)).one()
        return [t.name for t in customer.tags]


def test_tags_are_added_to_a_new_customer(app, api, openapi):
    response = api.post(with_customer(order_body(), tags=["Wholesale", "wholesale", " VIP "]))
    assert response.status_code == 201
    openapi.check(response, "/orders", "post")
    assert tag_names(app) == ["VIP", "Wholesale"]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag")
                                   .order_by(AuditEvent.id.desc())).first()
        assert (event.actor, event.old_value, event.new_value) == (ACTOR, "Wholesale", "VIP; Wholesale")


def test_tags_are_added_never_replacing_the_customers(app, api):
    api.post(with_customer(order_body("1"), tags=["Local"]))
    with app.app_context():
        tags.get_or_create("VIP")
        db.session.commit()
    assert api.post(with_customer(order_body("2"), tags=["vip"])).status_code == 201
    assert tag_names(app) == ["Local", "VIP"]
    with app.app_context():
        assert [t.customers for t in db.session.scalars(select(Tag).order_by(Tag.name_key))] == [1, 1]


def test_an_order_without_tags_hashes_as_before(app, api):
    assert api.post(order_body("7")).status_code == 201
    assert api.post(with_customer(order_body("7"), tags=[])).status_code == 200  # the same order again


@pytest.mark.parametrize(("value", "path", "message"), [
    ("VIP", "customer.tags", "Send a list of tag names"),
    ([1], "customer.tags.0", "Must be a string"),
    (["ok", "x" * 41], "customer.tags.1", "Keep a tag name to 40 characters (this one has 41)"),
    ([""], "customer.tags.0", "Type a tag name"),
    (["a,b"], "customer.tags.0", "Leave out commas and semicolons: they separate tags in files"),
    (["a\x00"], "customer.tags.0", "Remove the invisible control characters"),
    (["t"] * 51, "customer.tags", "Send at most 50 tags"),
])
def test_bad_tags_are_a_422_and_nothing_is_recorded(app, api, openapi, value, path, message):
    response = api.post(with_customer(order_body(), tags=value))
    assert response.status_code == 422 and response.get_json()["errors"] == {path: message}
    openapi.check(response, "/orders", "post")
    with app.app_context():
        assert db.session.scalar(select(Order.id)) is None and db.session.scalar(select(Tag.id)) is None


def test_the_schema_describes_tags(openapi):
    assert openapi.check_request(with_customer(order_body(), tags=["VIP"])) == []
    assert openapi.check_request(with_customer(order_body(), tags="VIP"))
    customer = openapi.document["components"]["schemas"]["Customer"]["properties"]
    assert "never replacing" in customer["tags"]["description"]
