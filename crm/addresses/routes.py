"""Address fragment views: what the "Street" combobox and the "State" list swap in."""

import re

from flask import Blueprint, current_app, make_response, render_template, request

from .. import urlargs
from ..services import addresses
from ..services.permissions import needs
from ..services.shop import get_settings

bp = Blueprint("addresses", __name__, url_prefix="/addresses")
MAX_TYPED = 200  # address.street's length: nothing longer is worth searching for


def _country() -> str:
    """The `country` argument when it is a two-letter code, else the shop's country."""
    given = request.args.get("country", "").strip().upper()
    return given if re.fullmatch(r"[A-Z]{2}", given) else get_settings().country


def _fragment(template: str, **context):
    """A fragment nobody should cache: it answers what was typed a moment ago."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/suggest")
@needs("edit")
def suggest():
    """Options for the "Street" combobox: `<li role="option">` items for the form's listbox, or nothing."""
    config = current_app.config
    suggestions = addresses.suggest(
        urlargs.text(request.args, "street", MAX_TYPED), country=_country(),
        provider=config["ADDRESS_PROVIDER"], photon_url=config["PHOTON_URL"],
        timeout=float(config["PHOTON_TIMEOUT"]))
    return _fragment("addresses/partials/_suggestions.html", suggestions=suggestions)


@bp.get("/states")
@needs("edit")
def states():
    """`<option>`s of a country's states for the "State" field's datalist (none for unlisted countries)."""
    return _fragment("addresses/partials/_state_options.html", states=addresses.states_for(_country()))
