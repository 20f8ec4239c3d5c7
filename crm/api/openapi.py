"""The order API's OpenAPI 3.1 description, served at /api/v1/openapi.json and checked against real responses
by tests/test_api.py and fuzzed by tests/test_api_schema_fuzz.py."""

from copy import deepcopy

from ..models import TAG_NAME_LENGTH
from ..services.order_payload import CHECKOUT_CONSENTS, MAX_TAGS

AMOUNT = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["129.90"],
          "description": "A decimal amount in the shop's currency, at most as many decimals as the currency has."}
ORDER_NUMBER = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}$", "examples": ["1001"]}
STATUS = {"type": "string", "enum": ["paid", "cancelled", "refunded"]}
TAGS_DESCRIPTION = ("Tag names to add to the customer (new ones are made): added to the tags they have, never "
                    "replacing them; compared case-insensitively. Each at most 40 characters, without commas, "
                    "semicolons or control characters; a refused name is reported as customer.tags.<index>.")
CONSENT_DESCRIPTION = ("{label}: true if the customer gave consent at checkout, false if they declined. Recorded "
                       "with the time and \"given at checkout\" for a new customer, or for a known one who has "
                       "never answered; a consent the customer already gave or withdrew is kept.")


def optional(schema: dict) -> dict:
    """A field that may be left out of a request: null is read as left out too, as the server does."""
    if "type" not in schema:  # a $ref to a component
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    enum = {"enum": [*schema["enum"], None]} if "enum" in schema else {}
    return {**schema, "type": [*types, "null"], **enum}


def _error(description: str, example: dict) -> dict:
    """A response whose body is the shared error shape."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"},
                                             "example": {"errors": example}}}}


def _json(description: str, ref: str) -> dict:
    """A JSON response with the given component schema."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


RESPONSES = {
    "BadRequest": _error("The body isn't JSON, isn't a JSON object, or isn't sent as application/json.",
                         {"body": "Send JSON with Content-Type: application/json"}),
    "Unauthorized": {
        **_error("No token, or one that is unknown or revoked.", {"token": "Send a valid API token"}),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="crm"'}},
    },
    "NotFound": _error("No order has this number.", {"order_number": "No order has this number"}),
    "MethodNotAllowed": _error("The path doesn't take this method.", {"method": "Use GET or PATCH"}),
    "TooLarge": _error("The body is over 1 MB.", {"body": "Send at most 1 MB"}),
    "Invalid": _error("Fields that can't be recorded, each with a message; nested fields by dotted path.",
                      {"customer.email": "The email address is not valid.", "items.0.quantity": "Must be a whole number"}),
    "TooMany": _error("Too many requests.", {"request": "Too many requests; try again later"}),
    "ServerError": _error("Something broke on the server; the request changed nothing.",
                          {"server": "Something went wrong; try again"}),
    "Busy": {**_error("The database stayed busy; nothing was recorded. Retry after the given seconds.",
                      {"server": "The shop is busy; try again shortly"}),
             "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
}
COMMON = {"400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "429": {"$ref": "#/components/responses/TooMany"},
          "500": {"$ref": "#/components/responses/ServerError"},
          "503": {"$ref": "#/components/responses/Busy"}}

SCHEMAS = {
    "Errors": {
        "type": "object", "required": ["errors"], "additionalProperties": False,
        "properties": {"errors": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"},
                                  "description": "Field (dotted path) or part of the request -> message."}},
    },
    "Address": {
        "type": "object",
        "properties": {
            "street": optional({"type": "string", "maxLength": 200}),
            "city": optional({"type": "string", "maxLength": 100}),
            "state": optional({"type": "string", "description": "Code or name; AU and MY states are checked."}),
            "postcode": optional({"type": "string",
                                  "description": "AU 4 digits, MY 5 digits; others up to 20 characters."}),
            "country": optional({"type": "string", "pattern": "^([A-Za-z]{2})?$",
                                 "description": "ISO 3166-1 alpha-2; the shop's country when left out or blank."}),
        },
    },
    "Customer": {
        "type": "object", "required": ["first_name"],
        "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
        "properties": {
            "email": optional({"type": "string", "maxLength": 254}),
            "phone": optional({"type": "string", "maxLength": 40, "description": "Any common format; without a "
                               "country code it is read as the shop's country's."}),
            "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "last_name": optional({"type": "string", "maxLength": 100}),
            "address": optional({"$ref": "#/components/schemas/Address"}),
            **{f.key: optional({"type": "boolean", "description": CONSENT_DESCRIPTION.format(label=f.label)})
               for f in CHECKOUT_CONSENTS},
            "tags": optional({"type": "array", "maxItems": MAX_TAGS, "description": TAGS_DESCRIPTION,
                              "items": {"type": "string", "minLength": 1, "maxLength": TAG_NAME_LENGTH,
                                        "pattern": "^[^,;]*$"}}),
        },
    },
    "Item": {
        "type": "object", "required": ["name", "unit_price"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "quantity": optional({"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}),
            "unit_price": AMOUNT,
        },
    },
    "NewOrder": {
        "type": "object", "required": ["order_number", "placed_at", "currency", "total", "customer"],
        "properties": {
            "order_number": ORDER_NUMBER,
            "placed_at": {"type": "string", "format": "date-time", "examples": ["2026-11-01T10:00:00Z"],
                          "description": "With a time zone offset; at most a day ahead of the server's clock."},
            "status": optional({**STATUS, "default": "paid"}),
            "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "Must be the shop's currency."},
            "total": {**AMOUNT, "description": "What the customer paid, shipping and discounts included; it need "
                                               "not equal the sum of the items."},
            "customer": {"$ref": "#/components/schemas/Customer"},
            "items": optional({"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/Item"}}),
        },
    },
    "Recorded": {
        "type": "object", "required": ["order_number", "customer_id", "customer_created"],
        "additionalProperties": False,
        "properties": {
            "order_number": ORDER_NUMBER,
            "customer_id": {"type": "integer"},
            "customer_created": {"type": "boolean"},
        },
    },
    "StatusChange": {"type": "object", "required": ["status"], "properties": {"status": STATUS}},
    "Order": {
        "type": "object", "additionalProperties": False,
        "required": ["order_number", "customer_id", "placed_at", "status", "currency", "total", "channel", "items"],
        "properties": {
            "order_number": {"type": "string"},
            "customer_id": {"type": "integer"},
            "placed_at": {"type": "string", "format": "date-time"},
            "status": STATUS,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "total": AMOUNT,
            "channel": {"type": "string", "enum": ["checkout", "manual"]},
            "items": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "quantity", "unit_price"],
                "properties": {"name": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                               "unit_price": AMOUNT}}},
        },
    },
}

NUMBER_PARAMETER = {"name": "order_number", "in": "path", "required": True, "schema": ORDER_NUMBER}

SPEC = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "crm order API",
        "version": "1",
        "description": "The shop's checkout sends each order here. Every request needs "
                       "`Authorization: Bearer <token>` (Settings → API tokens, or `flask --app crm tokens create`). "
                       "Amounts are decimal strings in the shop's currency.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerToken": []}],
    "paths": {
        "/orders": {
            "post": {
                "operationId": "recordOrder",
                "summary": "Record an order, finding or adding its customer",
                "description": "Idempotent on order_number: the same content again is 200 and changes nothing; "
                               "other content under a number already recorded is 409.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewOrder"},
                    "example": {
                        "order_number": "1001", "placed_at": "2026-11-01T10:00:00Z", "status": "paid",
                        "currency": "AUD", "total": "129.90",
                        "customer": {"email": "anna@example.com", "phone": "0412 345 678", "first_name": "Anna",
                                     "last_name": "Nguyen",
                                     "address": {"street": "12 Smith St", "city": "Parramatta", "state": "NSW",
                                                 "postcode": "2150", "country": "AU"}},
                        "items": [{"name": "Linen throw", "quantity": 1, "unit_price": "129.90"}],
                    }}}},
                "responses": {
                    "201": _json("Recorded.", "Recorded"),
                    "200": _json("Recorded before with the same content; nothing changed.", "Recorded"),
                    "409": _error("Recorded before with other content.",
                                  {"order_number": "This order number was already sent with different content"}),
                    "413": {"$ref": "#/components/responses/TooLarge"},
                    "422": {"$ref": "#/components/responses/Invalid"},
                    **COMMON,
                },
            },
        },
        "/orders/{order_number}": {
            "parameters": [NUMBER_PARAMETER],
            "get": {
                "operationId": "getOrder",
                "summary": "An order as recorded",
                "responses": {"200": _json("The order.", "Order"),
                              "404": {"$ref": "#/components/responses/NotFound"}, **COMMON},
            },
            "patch": {
                "operationId": "changeOrderStatus",
                "summary": "Mark an order paid, cancelled or refunded; the customer's figures and segment follow",
                "description": "The same status again is 200 and changes nothing.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/StatusChange"}, "example": {"status": "refunded"}}}},
                "responses": {"200": _json("The order after the change.", "Order"),
                              "404": {"$ref": "#/components/responses/NotFound"},
                              "413": {"$ref": "#/components/responses/TooLarge"},
                              "422": {"$ref": "#/components/responses/Invalid"}, **COMMON},
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description (no token needed)",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            },
        },
    },
    "components": {
        "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                            "description": 'A token such as "crm_…", shown once when created.'}},
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


def spec() -> dict:
    """A copy of the document (callers may add to it without changing what the next request gets)."""
    return deepcopy(SPEC)
