"""The rules for each field's cells: what a cell must be, and the value it is stored as.

Every field the import takes is one entry of RULES: its label (as the customer form names it) and the check
that turns a cell into the stored value, using the same services as the customer form (emails, phones,
business, memberships, addresses). Everything else in the import asks `check(key, value, country)` and
`FIELDS`; what is compared with the stored customer, and which fields go together, is the plan's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale

from ..services import addresses, business, emails, memberships, phones
from ..services.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters, squeeze

# The fields that together make the delivery address (one value: any of them replaces the whole address).
ADDRESS_PARTS = ("street", "city", "state", "postcode")
ADDRESS_LABEL = "Delivery address"

_TRUE = frozenset(("true", "yes", "y", "1"))
_FALSE = frozenset(("false", "no", "n", "0"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The local part email-validator accepts as it is (plain ASCII dot-atom), so only the domain needs checking.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class Invalid(ValueError):
    """One cell's problem; the message is shown beside the row."""


@dataclass(frozen=True)
class Rule:
    """One field: its label, and `check(cell, country)` giving the stored value or raising Invalid.

    `country` is the one the cell is read in: the shop's for phone numbers, the address's own for its state
    and postcode.
    """

    label: str
    check: Callable[[str, str], object]


def _text(value: str, limit: int, too_long: str) -> str:
    """Squeezed text within its length and without control characters, as the customer form takes it."""
    value = squeeze(value)
    if len(value) > limit:
        raise Invalid(too_long)
    # Printable ASCII (most cells) can hold none; only other text is looked at character by character.
    if not (value.isascii() and value.isprintable()) and has_control_characters(value):
        raise Invalid(CONTROL_CHARACTERS_MESSAGE)
    return value


def _text_rule(limit: int, too_long: str) -> Callable[[str, str], str]:
    """A check for free text of at most `limit` characters."""
    return lambda value, _country: _text(value, limit, too_long)


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    """A domain as email-validator normalizes it (checked once per domain: most rows share a few)."""
    return emails.normalize_email(f"x@{domain}").rpartition("@")[2]


def normalize_email(value: str) -> str:
    """emails.normalize_email, quicker for the plain addresses most files hold.

    email-validator checks the part before the @ and the domain separately; a plain ASCII local part
    (dot-atom) passes unchanged, so only the domain needs the slow check, and that is cached.
    """
    local, at, domain = value.rpartition("@")
    if at and len(local) <= 64 and len(value) <= 254 and domain.isascii() and _PLAIN_LOCAL.fullmatch(local):
        return f"{local}@{_email_domain(domain)}"
    return emails.normalize_email(value)


def _email(value: str, _country: str) -> str:
    """An email address, normalized as the customer form stores it."""
    try:
        return normalize_email(value)
    except emails.InvalidEmail as exc:
        raise Invalid(str(exc)) from exc


def _phone(value: str, country: str) -> str:
    """A phone number in E.164, read in the shop's country."""
    try:
        return phones.to_e164(value, country)
    except phones.InvalidPhone as exc:
        raise Invalid(str(exc)) from exc


def _abn(value: str, _country: str) -> str:
    """An ABN's 11 digits."""
    try:
        return business.normalize_abn(value)
    except business.InvalidABN as exc:
        raise Invalid(str(exc)) from exc


def _membership_id(value: str, _country: str) -> str:
    """A membership ID of the form the memberships service takes (whether it is taken is the plan's call)."""
    value = value.upper()
    # The memberships service says what is wrong with a malformed ID; its query never runs for one.
    if not memberships._TYPED.match(value):
        try:
            memberships.normalize_membership_id(value)
        except memberships.InvalidMembershipID as exc:
            raise Invalid(str(exc)) from exc
    return value


def parse_date(value: str, _country: str = "") -> date:
    """An ISO date (2027-03-31), as the export writes it."""
    if not _ISO_DATE.match(value):
        raise Invalid("Use a date such as 2027-03-31 (year-month-day)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("This date doesn't exist") from exc


def _city(value: str, _country: str) -> str:
    """The suburb or city an address needs."""
    city = _text(value, 100, "Keep the suburb or city to 100 characters")
    if not city:
        raise Invalid("Enter the suburb or city")
    return city


def _state(value: str, country: str) -> str:
    """A state as the address service stores it for the address's country."""
    try:
        return addresses.normalize_state(country, value)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


def _postcode(value: str, country: str) -> str:
    """A postcode as the address service stores it; required where the country's postcodes are known."""
    try:
        postcode = addresses.normalize_postcode(country, value)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if not postcode and country in addresses.POSTCODE_DIGITS:
        raise Invalid("Enter the postcode")
    return postcode


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Two-letter codes and English names (lower-cased) -> code."""
    names = Locale.parse("en").territories
    out = {}
    for code, name in names.items():
        if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO"):
            out[code.lower()] = code
            out[name.lower()] = code
    return out


def parse_country(value: str, _country: str = "") -> str:
    """A country as its code ("AU", "au") or English name ("Malaysia")."""
    code = _countries().get(squeeze(value).lower())
    if code is None:
        raise Invalid("Use a two-letter country code such as AU, or the country's name")
    return code


def parse_bool(value: str, _country: str = "") -> bool:
    """Email marketing consent: true/false, yes/no, y/n, 1/0 in any case."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Invalid("Use true or false (yes/no and 1/0 work too)")


# Every importable field, keyed by the export's column names, in the order the mapping offers them.
RULES: dict[str, Rule] = {
    "first_name": Rule("First name", _text_rule(100, "Keep the first name to 100 characters")),
    "last_name": Rule("Last name", _text_rule(100, "Keep the last name to 100 characters")),
    "email": Rule("Email", _email),
    "phone": Rule("Contact number", _phone),
    "whatsapp": Rule("WhatsApp number", _phone),
    "company_name": Rule("Company name", _text_rule(200, "Keep the company name to 200 characters")),
    "abn": Rule("ABN", _abn),
    "membership_id": Rule("Membership ID", _membership_id),
    "membership_expires_on": Rule("Membership expiry date", parse_date),
    "street": Rule("Street", _text_rule(200, "Keep the street to 200 characters")),
    "city": Rule("Suburb / City", _city),
    "state": Rule("State", _state),
    "postcode": Rule("Postcode", _postcode),
    "country": Rule("Country", parse_country),
    "email_marketing": Rule("Email marketing", parse_bool),
}
FIELDS: dict[str, str] = {key: rule.label for key, rule in RULES.items()}


def check(key: str, value: str, country: str) -> object:
    """The stored value of one cell of field `key`, read in `country`; Invalid saying what is wrong."""
    return RULES[key].check(value, country)
