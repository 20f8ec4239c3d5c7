"""The customer field registry: every field a customer has, declared once.

A declaration says what the field is called, how a typed value is checked and stored (a check from
checks.py), where it lives (on the customer, their delivery address or their membership), which shop
feature shows it, how the form lays it out, which column names other systems use for it in a CSV file, and
how the trail shows its values. From it follow the customer form's fields and checks, the import's
choices, column guesses and cell rules, the order API's limits, the CSV export's columns, the trail's labels
and what anonymizing erases. A field's `title` is its name in the page's language (the form, the profile);
its `label` is that name in English, for the CSV files, the trail, the import and the order API.
Adding a field is an entry here, a column (model and migration) and a test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from ..services import business, phones
from . import checks

PARTS = ("customer", "membership", "address", "consent")
# The form's fieldsets in order; the storefront password (not a registry field: it is never shown, exported
# or imported) has its own.
PASSWORD_SECTION = "Storefront account"
SECTIONS = ("Customer", "Business", PASSWORD_SECTION, "Membership", "Delivery address", "Consent")
# The address parts that make an address: the country alone has a default, so it doesn't count.
ADDRESS_PARTS = ("street", "city", "state", "postcode")
POSTCODE_REQUIRED = ("AU", "MY")


@dataclass(frozen=True)
class Where:
    """What a check needs to know besides the value: the shop's country, and the address's country."""

    region: str
    country: str = ""


def _no_context(check: Callable) -> Callable:
    """A check that needs only the value."""
    return lambda value, where: check(value)


def _line(noun: object, limit: int, *, blank: str | None = "") -> Callable:
    """The check of a line of text with a noun for its messages and a length; `blank` is what nothing stores
    (None for a column that can be empty, so "no company" is NULL as the order API and import store it)."""
    return lambda value, where: checks.line(value, noun=noun, limit=limit) or blank


def _phone(value: object, where: Where) -> str | None:
    """A contact or WhatsApp number, read in the shop's country (one check: the import remembers its results)."""
    return checks.phone(value, where.region)


def _show_text(value: object, region: str) -> str | None:
    """A stored value as the trail shows it: as it is, "(empty)" for nothing (the template's part)."""
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _show_phone(value: object, region: str) -> str | None:
    """Numbers in the trail as the rest of the dashboard shows them: national in the shop's country."""
    return phones.display(str(value), region) if value else None


def _show_country(value: object, region: str) -> str | None:
    """A country by its English name."""
    return checks.country_names().get(str(value), str(value)) if value else None


def _show_yes_no(value: object, region: str) -> str:
    """Consent as Yes or No."""
    return "Yes" if value else "No"


def _as_stored(value: object, region: str) -> object:
    """A stored value as the edit form shows it: as it is ("" for nothing)."""
    return "" if value is None else value


def _typed_phone(value: object, region: str) -> str:
    """A number as a person in the shop's country would type it."""
    return phones.display(str(value), region) if value else ""


@dataclass(frozen=True)
class AddressValue:
    """A delivery address as stored: the address is one value, replaced whole (state and postcode normalized)."""

    street: str
    city: str
    state: str
    postcode: str
    country: str

    def values(self) -> dict[str, str]:
        """Its parts by field key, for the writer."""
        return {"street": self.street, "city": self.city, "state": self.state, "postcode": self.postcode,
                "country": self.country}


@dataclass(frozen=True)
class Field:
    """One customer field. `key` names it in CSV files, import mappings and the code; `form_name` in the form.

    `title` is what the form and the profile call it, translated when shown (a lazy string); `label` is the
    title in English (made from it), which the CSV export and import, the trail and the order API use.
    """

    key: str
    title: object = dataclasses.field(compare=False)
    check: Callable[[object, Where], object]
    part: str = "customer"
    attribute: str | None = None  # on the customer, address or membership row, when it isn't `key`
    form_name: str | None = None
    widget: str = "text"  # how the form shows it (templates/customers/fields/_<widget>.html)
    section: str = "Customer"  # the form's fieldset
    max_length: int | None = None
    # a new customer must have it: the message when they don't (lazy: the form shows it)
    required: object | None = dataclasses.field(default=None, compare=False)
    feature: str | None = None  # "b2b" or "membership": only while that part of the form is on
    # the import's name for it, when the form's label needs more context (lazy, as `title`)
    import_title: object | None = dataclasses.field(default=None, compare=False)
    synonyms: tuple[str, ...] = ()  # header words other systems use (lower-case letters and digits)
    show: Callable[[object, str], str | None] = _show_text  # in the trail
    typed: Callable[[object, str], object] = _as_stored  # in the edit form
    erased: bool = True  # anonymizing a customer erases it
    checkout: bool = False  # the order API takes it too, as customer.<key> (crm/api/openapi.py documents it)
    # Made from `title` and `import_title`: English, whatever language the page speaks.
    label: str = dataclasses.field(init=False)
    import_label: str | None = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", checks.english(self.title))
        object.__setattr__(self, "import_label", checks.english(self.import_title) if self.import_title else None)

    @property
    def name(self) -> str:
        """The form field's name (and so its element id)."""
        return self.form_name or self.key

    @property
    def column(self) -> str:
        """The attribute of the customer, address or membership row that holds it."""
        return self.attribute or self.key

    @property
    def recorded_at(self) -> str:
        """A consent's column saying when it was given or withdrawn (<column>_at)."""
        return f"{self.column}_at"

    @property
    def recorded_method(self) -> str:
        """A consent's column saying how it was recorded (<column>_method: "dashboard", "import" ...)."""
        return f"{self.column}_method"

    @property
    def choice_label(self) -> str:
        """How the import's "Import as" select names it, in English (its files and stored lists use it)."""
        return self.import_label or self.label

    @property
    def choice_title(self) -> object:
        """How the import's "Import as" select names it, in the page's language."""
        return self.import_title or self.title

    def read(self, value: object, where: Where) -> object:
        """The stored form of a typed value, or checks.Invalid with the message."""
        return self.check(value, where)


FIELDS: tuple[Field, ...] = (
    Field("first_name", _l("First name"), _line(_l("first name"), 100), max_length=100,
          required=_l("Enter the first name"),
          synonyms=("firstname", "first", "givenname", "givennames", "given", "forename", "forenames", "fname",
                    "namapertama")),
    Field("last_name", _l("Last name"), _line(_l("last name"), 100), max_length=100,
          synonyms=("lastname", "last", "surname", "familyname", "lname", "namaakhir")),
    Field("email", _l("Email"), _no_context(checks.email), widget="email", max_length=254,
          synonyms=("email", "emailaddress", "mail", "emel")),
    Field("phone", _l("Contact number"), _phone, widget="tel",
          max_length=40, show=_show_phone, typed=_typed_phone,
          synonyms=("phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobilephone", "mobileno", "cell",
                    "cellphone", "cellnumber", "telephone", "telephonenumber", "tel", "contactnumber", "contactno",
                    "contactphone", "handphone", "hp", "nohp", "notel", "notelefon", "telefon")),
    Field("whatsapp", _l("WhatsApp number"), _phone, widget="tel",
          max_length=40, show=_show_phone, typed=_typed_phone,
          synonyms=("whatsapp", "whatsappnumber", "whatsappno", "wa", "wanumber")),
    Field("company_name", _l("Company name"), _line(_l("company name"), 200, blank=None), section="Business",
          max_length=200, feature="b2b",
          synonyms=("company", "companyname", "business", "businessname", "organisation", "organization",
                    "organisationname", "organizationname", "syarikat")),
    Field("abn", "ABN", _no_context(checks.abn), widget="abn", section="Business", feature="b2b",
          show=lambda value, region: business.format_abn(str(value)) if value else None,
          typed=lambda value, region: business.format_abn(str(value)) if value else "",
          synonyms=("abn", "australianbusinessnumber", "abnnumber")),
    Field("membership_id", _l("Membership ID"), _no_context(checks.membership_id), part="membership",
          widget="membership_id", section="Membership", feature="membership",
          synonyms=("membershipid", "memberid", "membershipnumber", "membernumber", "membershipno", "memberno",
                    "loyaltyid", "loyaltynumber")),
    Field("membership_expires_on", _l("Expiry date"), _no_context(checks.day), part="membership",
          typed=lambda value, region: value,
          attribute="expires_on", form_name="expires_on", widget="expiry", section="Membership",
          feature="membership", import_title=_l("Membership expiry date"),
          synonyms=("membershipexpireson", "membershipexpiry", "membershipexpirydate", "expireson", "expiry",
                    "expirydate", "expires", "memberexpiry", "expirationdate")),
    Field("street", _l("Street"), _line(_l("street"), 200), part="address", widget="street",
          section="Delivery address", max_length=200,
          synonyms=("street", "streetaddress", "address", "address1", "addressline1", "line1", "alamat")),
    Field("city", _l("Suburb / City"), _line(_l("suburb or city"), 100), part="address", section="Delivery address",
          max_length=100,
          synonyms=("city", "suburb", "town", "suburbcity", "suburbtown", "towncity", "locality", "bandar")),
    Field("state", _l("State"), lambda value, where: checks.state(value, where.country), part="address",
          widget="state", section="Delivery address", max_length=100,
          synonyms=("state", "province", "provincecode", "statecode", "region", "stateprovince", "territory",
                    "negeri")),
    Field("postcode", _l("Postcode"), lambda value, where: checks.postcode(value, where.country), part="address",
          widget="postcode", section="Delivery address", max_length=20,
          synonyms=("postcode", "postalcode", "zip", "zipcode", "postal", "poskod")),
    Field("country", _l("Country"), _no_context(checks.country), part="address", widget="country",
          section="Delivery address", show=_show_country,
          synonyms=("country", "countrycode", "countryname", "negara")),
    Field("email_marketing", _l("Email marketing"), _no_context(checks.consent), part="consent", widget="consent",
          typed=lambda value, region: bool(value),
          section="Consent", show=_show_yes_no,
          synonyms=("emailmarketing", "acceptsemailmarketing", "acceptsmarketing", "marketing", "newsletter",
                    "subscribed", "emailoptin", "optin", "marketingconsent", "emailconsent", "subscribe")),
    # Consent to marketing by text message and WhatsApp (Shopify's "Accepts SMS Marketing"): a consent of its
    # own, as the law asks for each channel, recorded with when and how as email marketing is.
    Field("sms_marketing", _l("Text and WhatsApp marketing"), _no_context(checks.consent), part="consent",
          widget="consent", typed=lambda value, region: bool(value), section="Consent", show=_show_yes_no,
          checkout=True,
          synonyms=("smsmarketing", "acceptssmsmarketing", "acceptssms", "smsoptin", "smsconsent",
                    "textmarketing", "whatsappmarketing", "acceptstextmessages", "smssubscribed")),
)
BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
LABELS: dict[str, str] = {f.key: f.label for f in FIELDS}
CONSENTS: tuple[Field, ...] = tuple(f for f in FIELDS if f.part == "consent")


def shown(*, b2b: bool, membership: bool) -> tuple[Field, ...]:
    """The fields the shop's settings show (a feature that is off hides its fields and keeps their data)."""
    on = {None, *(("b2b",) if b2b else ()), *(("membership",) if membership else ())}
    return tuple(f for f in FIELDS if f.feature in on)


def sections(fields: tuple[Field, ...]) -> list[tuple[str, list[Field]]]:
    """The fields grouped by the form's fieldsets, in declaration order."""
    grouped: dict[str, list[Field]] = {}
    for f in fields:
        grouped.setdefault(f.section, []).append(f)
    return list(grouped.items())


def of_part(part: str) -> tuple[Field, ...]:
    """The fields of one part (the address's, the membership's ...)."""
    return tuple(f for f in FIELDS if f.part == part)


def record_problems(values: dict[str, object], *, generate_hint: bool = False,
                    shown: bool = False) -> dict[str, str]:
    """What a customer's values need together: an address needs its city (and in AU and MY its postcode), an
    expiry date needs a membership ID. Keys are field keys; only fields present in `values` are judged.
    The messages are English (the import records them), or in the page's language with `shown` (the form)."""
    problems: dict[str, object] = {}
    if any(values.get(key) for key in ADDRESS_PARTS):
        if "city" in values and not values["city"]:
            problems["city"] = _l("Enter the suburb or city")
        if "postcode" in values and not values["postcode"] and values.get("country") in POSTCODE_REQUIRED:
            problems["postcode"] = _l("Enter the postcode")
    if values.get("membership_expires_on") and "membership_id" in values and not values["membership_id"]:
        problems["membership_id"] = (_l("Give a membership ID for this expiry date, or generate one")
                                     if generate_hint else _l("Give a membership ID for this expiry date"))
    return {key: str(message) if shown else checks.english(message) for key, message in problems.items()}


def trail_value(key: str, value: object, region: str) -> str | None:
    """A stored value as the trail shows it."""
    return BY_KEY[key].show(value, region)
