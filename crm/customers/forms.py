"""Forms of the Customers area."""

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

from ..forms import AmountField, NoControlCharacters, squeeze, strip
from ..services import addresses, business, emails, memberships, phones, profiles
from ..services import orders as orders_service
from ..services.notes import MAX_NOTE
from ..services.passwords import MIN_CUSTOMER_PASSWORD
from ..settings.forms import country_choices


class NoteForm(FlaskForm):
    """One private note."""

    body = TextAreaField("Add a note", filters=[strip], validators=[
        DataRequired("Write the note first"),
        Length(max=MAX_NOTE, message=f"Keep a note under {MAX_NOTE:,} characters"),
        NoControlCharacters(multiline=True),
    ])


class EditNoteForm(NoteForm):
    """An existing note's text; built with prefix=f"note{id}" so each open editor has its own field ids."""

    body = TextAreaField("Edit note", filters=[strip], validators=[
        DataRequired("Write the note first"),
        Length(max=MAX_NOTE, message=f"Keep a note under {MAX_NOTE:,} characters"),
        NoControlCharacters(multiline=True),
    ])


_no_control_characters = NoControlCharacters()


class CustomerForm(FlaskForm):
    """Add or edit a customer. Build it with customer_form(), which drops the parts the shop has off."""

    first_name = StringField("First name", filters=[squeeze], validators=[
        DataRequired("Enter the first name"),
        Length(max=100, message="Keep the first name to 100 characters"), _no_control_characters])
    last_name = StringField("Last name", filters=[squeeze], validators=[
        Length(max=100, message="Keep the last name to 100 characters"), _no_control_characters])
    email = EmailField("Email", filters=[strip])
    phone = TelField("Contact number", filters=[strip])
    whatsapp = TelField("WhatsApp number", filters=[strip])
    company_name = StringField("Company name", filters=[squeeze], validators=[
        Length(max=200, message="Keep the company name to 200 characters"), _no_control_characters])
    abn = StringField("ABN", filters=[strip])
    password = PasswordField("Customer password", widget=PasswordInput(hide_value=False))
    membership_id = StringField("Membership ID", filters=[strip])
    expires_on = DateField("Expiry date", validators=[Optional()])
    street = StringField("Street", filters=[squeeze], validators=[
        Length(max=200, message="Keep the street to 200 characters"), _no_control_characters])
    city = StringField("Suburb / City", filters=[squeeze], validators=[
        Length(max=100, message="Keep the suburb or city to 100 characters"), _no_control_characters])
    state = StringField("State", filters=[squeeze], validators=[Length(max=100), _no_control_characters])
    postcode = StringField("Postcode", filters=[strip], validators=[_no_control_characters])
    country = SelectField("Country", choices=country_choices)
    email_marketing = BooleanField("Email marketing")
    submission_key = HiddenField()

    # Set by customer_form(): the shop's country (phone region), the customer being edited (or None).
    region: str = "AU"
    customer = None

    def validate_email(self, field) -> None:
        """A real address that no other customer has."""
        field.normalized = None
        field.duplicate = None
        if not field.data:
            return
        try:
            field.normalized = emails.normalize_email(field.data)
        except emails.InvalidEmail as exc:
            raise ValidationError(str(exc)) from exc
        field.duplicate = profiles.find_by_email(field.normalized, self._customer_id)
        if field.duplicate is not None:
            raise ValidationError(DUPLICATE_EMAIL)

    def _phone(self, field) -> None:
        field.e164 = None
        if not field.data:
            return
        try:
            field.e164 = phones.to_e164(field.data, self.region)
        except phones.InvalidPhone as exc:
            raise ValidationError(str(exc)) from exc

    validate_phone = _phone
    validate_whatsapp = _phone

    def validate_abn(self, field) -> None:
        """The ABN's checksum holds."""
        field.digits = None
        if field.data:
            try:
                field.digits = business.normalize_abn(field.data)
            except business.InvalidABN as exc:
                raise ValidationError(str(exc)) from exc

    def validate_password(self, field) -> None:
        """Long enough; a blank one keeps the current password when editing."""
        if not field.data:
            return
        if len(field.data) < MIN_CUSTOMER_PASSWORD:
            raise ValidationError(f"Use at least {MIN_CUSTOMER_PASSWORD} characters")
        if len(field.data) > 200:
            raise ValidationError("Use at most 200 characters")

    def validate_membership_id(self, field) -> None:
        """Well formed and held by no other customer."""
        field.normalized = None
        if field.data:
            try:
                field.normalized = memberships.normalize_membership_id(field.data, self._customer_id)
            except memberships.InvalidMembershipID as exc:
                raise ValidationError(str(exc)) from exc
        elif self.expires_on.data:
            raise ValidationError("Give a membership ID for this expiry date, or generate one")

    def validate_postcode(self, field) -> None:
        """The country's postcode format (AU 4 digits, MY 5), needed once there is an address."""
        field.normalized = field.data or ""
        if not self.has_address():
            return
        if not field.data and self.country.data in POSTCODE_REQUIRED:
            raise ValidationError("Enter the postcode")
        if field.data:
            try:
                field.normalized = addresses.normalize_postcode(self.country.data, field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    def validate_state(self, field) -> None:
        """One of the country's states, where the shop knows them."""
        field.normalized = field.data or ""
        if field.data and self.has_address():
            try:
                field.normalized = addresses.normalize_state(self.country.data, field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    def validate_city(self, field) -> None:
        """An address needs at least its suburb or city."""
        if self.has_address() and not field.data:
            raise ValidationError("Enter the suburb or city")

    @property
    def _customer_id(self) -> int | None:
        return self.customer.id if self.customer is not None else None

    def has_address(self) -> bool:
        """Whether any address field was filled in (the country alone has a default, so it doesn't count)."""
        return any(getattr(self, name).data for name in ("street", "city", "state", "postcode"))

    def phone_warning(self, field) -> object:
        """Another customer with this field's number, to warn about (a shared number is allowed)."""
        e164 = getattr(field, "e164", None)
        if e164 is None and field.data and not field.errors:
            try:
                e164 = phones.to_e164(field.data, self.region)
            except phones.InvalidPhone:
                return None
        return profiles.find_by_phone(e164, self._customer_id) if e164 else None

    def to_input(self, b2b: bool, membership: bool) -> profiles.CustomerInput:
        """The checked values for the profiles service (call after validate())."""
        address = None
        if self.has_address():
            address = profiles.AddressInput(street=self.street.data or "", city=self.city.data or "",
                                            state=self.state.normalized, postcode=self.postcode.normalized,
                                            country=self.country.data)
        data = profiles.CustomerInput(
            first_name=self.first_name.data, last_name=self.last_name.data or "",
            email=self.email.normalized, phone=self.phone.e164, whatsapp=self.whatsapp.e164,
            email_marketing=bool(self.email_marketing.data), address=address,
            password=self.password.data or None, b2b=b2b, membership=membership)
        if b2b:
            data.company_name = self.company_name.data or None
            data.abn = self.abn.digits
        if membership:
            data.membership_id = self.membership_id.normalized
            data.expires_on = self.expires_on.data if self.membership_id.normalized else None
        return data


DUPLICATE_EMAIL = "A customer with this email already exists"
POSTCODE_REQUIRED = ("AU", "MY")


def customer_form(shop, customer=None, **kwargs) -> CustomerForm:
    """The customer form for this shop: company fields only with B2B on, membership only with it on."""
    if customer is not None and kwargs.get("formdata", True) is None:
        kwargs["data"] = initial_data(customer, shop.country)
    form = CustomerForm(**kwargs)
    form.region = shop.country
    form.customer = customer
    if not shop.b2b_enabled:
        del form.company_name
        del form.abn
    if not shop.membership_enabled:
        del form.membership_id
        del form.expires_on
    if customer is None and not form.country.data:
        form.country.data = shop.country
    return form


def initial_data(customer, region: str) -> dict:
    """The edit form's starting values: stored values as a person would type them (never the password)."""
    address = customer.address
    membership = customer.membership
    return {
        "first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email or "",
        "phone": phones.display(customer.phone, region) if customer.phone else "",
        "whatsapp": phones.display(customer.whatsapp, region) if customer.whatsapp else "",
        "company_name": customer.company_name or "", "abn": business.format_abn(customer.abn),
        "membership_id": membership.membership_id if membership else "",
        "expires_on": membership.expires_on if membership else None,
        "street": address.street if address else "", "city": address.city if address else "",
        "state": address.state if address else "", "postcode": address.postcode if address else "",
        "country": address.country if address and address.country else region,
        "email_marketing": bool(customer.email_marketing),
    }



class OrderForm(FlaskForm):
    """An order recorded by hand (a phone or WhatsApp sale)."""

    order_number = StringField("Order number", filters=[strip], validators=[
        Length(max=64, message="Keep the order number to 64 characters"),
        # the checkout's rule too, so every order can be reached at /api/v1/orders/<number>
        Regexp(r"^([A-Za-z0-9][A-Za-z0-9_.:#-]*)?$",
               message="Use letters, digits and - _ . : # (starting with a letter or digit)")])
    placed_on = DateField("Order date", validators=[DataRequired("Enter the order date")])
    total = AmountField("Total", validators=[DataRequired("Enter the order total")],
                        currency_of=lambda form: form.currency)
    status = SelectField("Status", choices=[("paid", "Paid"), ("refunded", "Refunded"), ("cancelled", "Cancelled")])
    note = TextAreaField("Note", filters=[strip], validators=[
        Length(max=2000, message="Keep the note under 2,000 characters"), NoControlCharacters(multiline=True)])

    currency: str = "AUD"  # the shop's, set by the view

    def validate_order_number(self, field) -> None:
        """Unique across every order, the checkout's too."""
        if field.data and not field.errors and orders_service.number_in_use(field.data):  # a well-formed one
            raise ValidationError("Another order already has this number")
