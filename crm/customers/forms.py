"""Forms of the Customers area."""

import json
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import PasswordInput

from ..forms import AmountField, NoControlCharacters, strip
from ..services import memberships, profiles
from ..services import orders as orders_service
from ..services.notes import MAX_NOTE
from ..services.passwords import MIN_CUSTOMER_PASSWORD
from ..settings.forms import country_choices
from . import checks, fields, writer


class NoteForm(FlaskForm):
    """One private note."""

    body = TextAreaField(_l("Add a note"), filters=[strip], validators=[
        DataRequired(_l("Write the note first")),
        Length(max=MAX_NOTE, message=_l("Keep a note under %(limit)s characters", limit=format(MAX_NOTE, ","))),
        NoControlCharacters(multiline=True),
    ])


class EditNoteForm(NoteForm):
    """An existing note's text; built with prefix=f"note{id}" so each open editor has its own field ids."""

    body = TextAreaField(_l("Edit note"), filters=[strip], validators=[
        DataRequired(_l("Write the note first")),
        Length(max=MAX_NOTE, message=_l("Keep a note under %(limit)s characters", limit=format(MAX_NOTE, ","))),
        NoControlCharacters(multiline=True),
    ])


class FromRegistry:
    """A form field's check from the field registry: the stored value goes on `field.value` when it passes."""

    def __init__(self, spec: fields.Field):
        self.spec = spec

    def __call__(self, form, field) -> None:
        field.value = None
        if field.errors:  # the field's own parsing (a date) already said what is wrong
            return
        try:
            field.value = self.spec.read(field.data, form.where())
        except checks.Invalid as exc:
            raise ValidationError(exc.shown) from exc


_FORM_FIELDS = {"email": EmailField, "tel": TelField, "expiry": DateField, "country": SelectField,
                "consent": BooleanField}


def _form_field(spec: fields.Field):
    """The WTForms field for a registry field: its label (the title, translated when shown), its kind of input,
    its checks."""
    validators = [DataRequired(spec.required)] if spec.required else []
    if spec.widget == "expiry":
        validators.append(Optional())
    validators.append(FromRegistry(spec))
    kind = _FORM_FIELDS.get(spec.widget, StringField)
    extra = {"choices": country_choices} if kind is SelectField else {}
    if kind in (StringField, EmailField, TelField):
        extra["filters"] = [strip]
    return kind(spec.title, validators=validators, **extra)


class CustomerForm(FlaskForm):
    """Add or edit a customer: one field per registry field (fields.py), plus the storefront password.

    Build it with customer_form(), which leaves out the fields of the parts the shop has switched off.
    """

    password = PasswordField(_l("Customer password"), widget=PasswordInput(hide_value=False))
    submission_key = HiddenField()

    # Set by customer_form(): the shop's country (phone region), the customer being edited (or None), and
    # the registry fields the form shows.
    region: str = "AU"
    customer = None
    specs: tuple[fields.Field, ...] = fields.FIELDS

    def where(self) -> fields.Where:
        """What the checks need: the shop's country, and the country the address is in."""
        return fields.Where(region=self.region, country=self.country.data or self.region)

    def validate(self, extra_validators=None) -> bool:
        """Each field's checks, then what the fields need together (an address's city, an expiry's ID)."""
        valid = super().validate(extra_validators)
        values = {spec.key: getattr(self[spec.name], "value", None) for spec in self.specs}
        for key, message in fields.record_problems(values, generate_hint=True, shown=True).items():
            field = self[fields.BY_KEY[key].name]
            if not field.errors:
                field.errors.append(message)
                valid = False
        return valid

    def validate_email(self, field) -> None:
        """No other customer has this address (in any case)."""
        field.duplicate = None
        if field.value and not field.errors:
            field.duplicate = profiles.find_by_email(field.value, self._customer_id)
            if field.duplicate is not None:
                raise ValidationError(DUPLICATE_EMAIL)

    def validate_membership_id(self, field) -> None:
        """No other customer holds this ID."""
        if field.value and not field.errors and memberships.in_use(field.value, self._customer_id):
            raise ValidationError(_("Another customer already has this membership ID"))

    def validate_password(self, field) -> None:
        """Long enough; a blank one keeps the current password when editing."""
        if not field.data:
            return
        if len(field.data) < MIN_CUSTOMER_PASSWORD:
            raise ValidationError(_("Use at least %(num)s characters", num=MIN_CUSTOMER_PASSWORD))
        if len(field.data) > 200:
            raise ValidationError(_("Use at most %(num)s characters", num=200))

    @property
    def _customer_id(self) -> int | None:
        return self.customer.id if self.customer is not None else None

    def sections(self) -> list[tuple[str, list]]:
        """The form's fieldsets in order, each with its bound fields (and the registry entry beside each)."""
        grouped = dict(fields.sections(self.specs))
        return [(name, [(self[spec.name], spec) for spec in grouped.get(name, [])]) for name in fields.SECTIONS
                if name in grouped or name == fields.PASSWORD_SECTION]

    def live_check(self, name: str, trigger: str = "input changed delay:400ms, change") -> dict[str, str]:
        """The htmx attributes that check a field as it is typed (GET /customers/check/<name>), into the
        live region under it; the customer being edited is never their own duplicate."""
        vals = {"customer": self.customer.id} if self.customer is not None else {}
        return {"data-hx-get": url_for("customers.check", field=name),
                "data-hx-target": "#" + name.replace("_", "-") + "-check", "data-hx-swap": "outerHTML",
                "data-hx-trigger": trigger, "data-hx-vals": json.dumps(vals), "data-hx-sync": "this:replace"}

    def phone_warning(self, field) -> object:
        """Another customer with this field's number, to warn about (a shared number is allowed)."""
        e164 = getattr(field, "value", None)
        if e164 is None and field.data and not field.errors:
            try:
                e164 = checks.phone(field.data, self.region)
            except checks.Invalid:
                return None
        return profiles.find_by_phone(e164, self._customer_id) if e164 else None

    def values(self) -> dict[str, object]:
        """The checked values by field key, for the writer (call after validate())."""
        return {spec.key: getattr(self[spec.name], "value", None) for spec in self.specs}


for _spec in fields.FIELDS:
    setattr(CustomerForm, _spec.name, _form_field(_spec))

DUPLICATE_EMAIL = _l("A customer with this email already exists")


def customer_form(shop, customer=None, **kwargs) -> CustomerForm:
    """The customer form for this shop: company fields only with B2B on, membership only with it on."""
    if customer is not None and kwargs.get("formdata", True) is None:
        kwargs["data"] = initial_data(customer, shop.country)
    form = CustomerForm(**kwargs)
    form.region = shop.country
    form.customer = customer
    form.specs = fields.shown(b2b=shop.b2b_enabled, membership=shop.membership_enabled)
    for spec in fields.FIELDS:
        if spec not in form.specs:
            delattr(form, spec.name)
    if customer is None and not form.country.data:
        form.country.data = shop.country
    return form


def initial_data(customer, region: str) -> dict:
    """The edit form's starting values: stored values as a person would type them (never the password)."""
    stored = writer.current_values(customer)
    data = {spec.name: spec.typed(stored[spec.key], region) for spec in fields.FIELDS}
    data["country"] = data["country"] or region
    return data


class OrderForm(FlaskForm):
    """An order recorded by hand (a phone or WhatsApp sale)."""

    order_number = StringField(_l("Order number"), filters=[strip], validators=[
        Length(max=64, message=_l("Keep the order number to 64 characters")),
        # the checkout's rule too, so every order can be reached at /api/v1/orders/<number>
        Regexp(r"^([A-Za-z0-9][A-Za-z0-9_.:#-]*)?$",
               message=_l("Use letters, digits and - _ . : # (starting with a letter or digit)"))])
    placed_on = DateField(_l("Order date"), validators=[DataRequired(_l("Enter the order date"))])
    total = AmountField(_l("Total"), validators=[DataRequired(_l("Enter the order total"))],
                        currency_of=lambda form: form.currency)
    status = SelectField(_l("Status"), choices=[("paid", _l("Paid")), ("refunded", _l("Refunded")),
                                                ("cancelled", _l("Cancelled"))])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[
        Length(max=2000, message=_l("Keep the note under 2,000 characters")), NoControlCharacters(multiline=True)])

    currency: str = "AUD"  # the shop's, set by the view
    today: date | None = None  # in the shop's time zone, set by the view

    def validate_placed_on(self, field) -> None:
        """A day an order can have been placed: from 1970 (as the checkout's) up to today."""
        if field.data is None:
            return
        if field.data < orders_service.EARLIEST.date():
            raise ValidationError(_("Can't be before 1970"))
        if self.today is not None and field.data > self.today:
            raise ValidationError(_("Can't be after today"))

    def validate_order_number(self, field) -> None:
        """Unique across every order, the checkout's too."""
        if field.data and not field.errors and orders_service.number_in_use(field.data):  # a well-formed one
            raise ValidationError(_("Another order already has this number"))


class ViewNameForm(FlaskForm):
    """The name of a saved view of the list (the rules are the saved views service's: clean_name)."""

    name = StringField(_l("View name"))
