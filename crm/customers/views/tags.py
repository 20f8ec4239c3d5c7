"""A customer's tags on the profile: add one (chosen from the shop's list or new) and remove one, inline with
htmx or as plain form posts that go back to the profile."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...customers.checks import Invalid
from ...extensions import db
from ...models import Customer, Tag
from ...services import tags
from ...services.permissions import needs
from .base import acting_user, bp, customer_or_404
from .profile import detail


def _section(customer: Customer, *, error: str | None = None, typed: str = "", status: str = ""):
    """The Tags section alone (what htmx swaps), with a message for a refused name and the text typed."""
    db.session.expire(customer, ["tags"])
    return render_template("customers/partials/_tags.html", customer=customer, tag_error=error, tag_typed=typed,
                           tag_status=status, tag_suggestions=tags.suggestions())


def _editable(customer_id: int) -> Customer:
    """The customer the URL names, whose tags may change (an anonymized customer's may not)."""
    customer = customer_or_404(customer_id)
    if customer.anonymized_at is not None:
        abort(409, _("This customer was anonymized: tags can't be added."))
    return customer


def _back(customer: Customer, message: str):
    """After a plain form post: say what happened on the profile, at its Tags section."""
    flash(message, "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="tags"))


@bp.post("/<int:customer_id>/tags")
@needs("edit")
def add_tag(customer_id: int):
    """Put a tag on the customer: one of the shop's (any case) or a new one made from the name typed."""
    customer = _editable(customer_id)
    typed = request.form.get("name", "")
    try:
        tag = tags.get_or_create(typed)
    except Invalid as exc:
        if request.htmx:  # htmx swaps only 2xx answers: the section comes back with its message
            return _section(customer, error=exc.shown, typed=typed)
        return detail(customer.id, tag_error=exc.shown, tag_typed=typed, status=422)
    added = tags.add(customer, tag, acting_user())
    db.session.commit()
    message = (_("Tag “%(tag)s” added.", tag=tag.name) if added
               else _("%(name)s already has the tag “%(tag)s”.", name=customer.display_name, tag=tag.name))
    return _section(customer, status=message) if request.htmx else _back(customer, message)


@bp.post("/<int:customer_id>/tags/<int:tag_id>/remove")
@needs("edit")
def remove_tag(customer_id: int, tag_id: int):
    """Take a tag off the customer (a second click, after it went, changes nothing)."""
    customer = customer_or_404(customer_id)
    tag = db.session.get(Tag, tag_id) or abort(404)
    removed = tags.remove(customer, tag, acting_user())
    db.session.commit()
    message = (_("Tag “%(tag)s” removed.", tag=tag.name) if removed
               else _("%(name)s doesn't have the tag “%(tag)s”.", name=customer.display_name, tag=tag.name))
    return _section(customer, status=message) if request.htmx else _back(customer, message)
