"""What the server says about a customer form field as the owner types (htmx swaps it under the field)."""

from datetime import datetime

from flask import abort, render_template, request
from flask_babel import gettext as _

from ...services import emails, memberships, phones, profiles
from ...services.permissions import needs
from ...services.shop import get_settings, today
from ...urlargs import optional_id
from ..forms import DUPLICATE_EMAIL
from .base import bp

CHECKED_FIELDS = ("email", "phone", "whatsapp", "membership_id", "expires_on")


@bp.get("/check/<field>")
@needs("edit")
def check(field: str):
    """htmx, as the owner types: a duplicate email, number or membership ID, an impossible number,
    or a past expiry date, said next to the field."""
    if field not in CHECKED_FIELDS:
        abort(404)
    shop = get_settings()
    exclude = optional_id(request.args, "customer")
    value = (request.args.get(field) or "").strip()
    message, other = None, None
    if field == "email" and value:
        # only a real address can be someone's (the form says what is wrong with the others on submit)
        try:
            other = profiles.find_by_email(emails.normalize_email(value), exclude)
        except emails.InvalidEmail:
            other = None
        message = DUPLICATE_EMAIL if other else None
    elif field in ("phone", "whatsapp") and value:
        try:
            e164 = phones.to_e164(value, shop.country)
        except phones.InvalidPhone as exc:
            message = _(str(exc))  # the phone service's message, translated when the catalogue has it
        else:
            other = profiles.find_by_phone(e164, exclude)
            message = _("Another customer has this number") if other else None
    elif field == "membership_id" and value:
        if memberships.well_formed(value) and memberships.in_use(value.strip(), exclude):
            message = _("Another customer already has this membership ID")
    elif field == "expires_on" and value:
        try:
            expires = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            expires = None
        if expires and expires < today(shop):
            message = _("This date has passed: the membership will show as expired")
    return render_template("customers/partials/_check.html", field=field, message=message, other=other)
