"""Order API views: bearer-token auth, JSON in and out, every error as {"errors": {field: message}}."""

import json

from flask import Blueprint, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect

from ..extensions import db
from ..services import intake, order_payload, serial, tokens
from ..services.shop import get_settings
from .openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC = {"api.openapi"}
REALM = 'Bearer realm="crm"'
# Error key and message for HTTP errors that carry no field of their own.
GENERIC = {
    400: ("body", "The request could not be read"),
    401: ("token", "Send a valid API token"),
    404: ("path", "There is nothing at this address"),
    405: ("method", "This address doesn't take that method"),
    413: ("body", "Send at most 1 MB"),
    415: ("body", "Send JSON with Content-Type: application/json"),
    429: ("request", "Too many requests; try again later"),
    500: ("server", "Something went wrong; try again"),
    503: ("server", "The shop is busy; try again shortly"),
}


class ApiError(Exception):
    """An error response with per-field messages."""

    def __init__(self, status: int, errors: dict[str, str], headers: dict[str, str] | None = None):
        super().__init__(errors)
        self.status, self.errors, self.headers = status, errors, headers or {}


def error_response(status: int, errors: dict[str, str], headers: dict | None = None):
    """The one error shape of the API."""
    response = jsonify({"errors": errors})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def generic(exc: HTTPException):
    """An HTTP error as JSON, keeping its headers (Allow on a 405, Retry-After on a 429)."""
    key, message = GENERIC.get(exc.code, ("request", exc.name))
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
    return error_response(exc.code, {key: message}, headers)


@bp.before_app_request
def routing_errors():
    """Unknown API paths and wrong methods answer in JSON too (routing fails before any blueprint is chosen)."""
    exc = request.routing_exception
    if (isinstance(exc, HTTPException) and not isinstance(exc, RequestRedirect)
            and request.path.startswith("/api/")):
        return generic(exc)  # 404 for an unknown path, 405 (with Allow) for a method the path doesn't take
    return None


@bp.before_request
def authenticate():
    """Cap the body (the rest of the app takes bigger uploads) and require an active token."""
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization")
    token = tokens.authenticate(header)
    if token is None:
        db.session.rollback()
        if tokens.bearer(header) is None:
            raise ApiError(401, {"token": "Send an API token: Authorization: Bearer <token>"},
                           {"WWW-Authenticate": REALM})
        raise ApiError(401, {"token": "This API token is unknown or revoked"},
                       {"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    g.api_token_name = token.name
    if token in db.session.dirty:
        db.session.commit()  # the token's last-used time, written at most once a minute
    return None


@bp.after_request
def no_store(response):
    """Orders and customer ids are private: no cache keeps them."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    """Errors raised by the views."""
    return error_response(exc.status, exc.errors, exc.headers)


@bp.errorhandler(order_payload.Invalid)
def invalid(exc: order_payload.Invalid):
    """Fields that can't be recorded; body-level problems (not a JSON object) are a 400."""
    return error_response(400 if "body" in exc.errors else 422, exc.errors)


@bp.errorhandler(intake.Conflict)
def conflict(exc: intake.Conflict):
    """The order number is taken by other content."""
    return error_response(409, {"order_number": str(exc)})


@bp.errorhandler(intake.UnknownOrder)
def unknown_order(_exc):
    """No order has the number in the URL."""
    return error_response(404, {"order_number": "No order has this number"})


@bp.errorhandler(serial.Busy)
def busy(_exc):
    """Other writers held the database for longer than the busy timeout: nothing was recorded, so retry."""
    return error_response(503, {"server": "The shop is busy; try again shortly"}, {"Retry-After": "1"})


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Werkzeug's errors (413 body too large, 429, 405 ...) in the API's shape."""
    return generic(exc)


@bp.errorhandler(InternalServerError)
def server_error(exc: InternalServerError):
    """A bug: JSON like every other answer (Flask has logged the traceback), and nothing half-written."""
    db.session.rollback()
    return generic(exc)


def json_body() -> object:
    """The request's JSON; 400 unless it is sent as JSON and parses (NaN and Infinity don't)."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(400, {"body": "Send JSON with Content-Type: application/json"})
    raw = request.get_data(cache=False)  # raises 413 past request.max_content_length

    def no_constants(name: str):
        """NaN and Infinity are not JSON."""
        raise ValueError(name)

    try:
        return json.loads(raw, parse_constant=no_constants)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise ApiError(400, {"body": "The body is not valid JSON"}) from None


@bp.post("/orders")
def create_order():
    """Record an order from the checkout: 201 when new, 200 for a retry of the same content, 409 for a clash."""
    payload = json_body()
    settings = get_settings()
    data = order_payload.parse_order(payload, currency=settings.currency, country=settings.country)
    token_name = g.api_token_name
    outcome = serial.submit(lambda: intake.record_order(data, token_name))
    response = jsonify({"order_number": outcome.order_number, "customer_id": outcome.customer_id,
                        "customer_created": outcome.customer_created})
    response.status_code = 201 if outcome.created else 200
    response.headers["Location"] = url_for("api.get_order", order_number=outcome.order_number)
    return response


@bp.get("/orders/<order_number>")
def get_order(order_number: str):
    """One order as recorded."""
    order = intake.find_order(order_number)
    if order is None:
        raise intake.UnknownOrder(order_number)
    return jsonify(intake.order_fields(order))


@bp.patch("/orders/<order_number>")
def change_order(order_number: str):
    """Mark an order paid, cancelled or refunded; the customer's figures and segment move with it."""
    status = order_payload.parse_status(json_body())
    token_name = g.api_token_name
    fields = serial.submit(lambda: intake.order_fields(intake.change_status(order_number, status, token_name)[0]))
    return jsonify(fields)


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 description (public: it holds nothing about the shop)."""
    return jsonify(spec())
