"""The checks every way into the shop shares: what a typed value must be, and its stored form.

Each check takes what someone typed (a form field, a CSV cell, a JSON string) and returns the value as it is
stored, or raises Invalid with the message the shop sees. The customer field registry (fields.py) names which
check each field uses; the form, the import and the order API call them through it, so a rule changes here
and nowhere else. Blank input is None (or "" for the address parts, which are stored as empty strings).
A message is English in str(Invalid) (what the order API answers and the import records) and in the page's
language in Invalid.shown (what the form and the pages say).
The checks the import runs a hundred thousand times take quick paths for the common case that give the same
results as the full check: plain email addresses here (normalize_email), printable ASCII text in
text.has_control_characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

import flask_babel
from babel import Locale
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ..services import addresses, business, emails, memberships, phones, text

# Babel's territories that aren't countries: unknown region, the EU, the eurozone, the UN, outlying Oceania.
NOT_COUNTRIES = frozenset(("ZZ", "EU", "EZ", "UN", "QO"))
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = frozenset(("true", "yes", "y", "1"))
_FALSE = frozenset(("false", "no", "n", "0"))
# The local part email-validator accepts as it is (plain ASCII dot-atom), so only the domain needs checking.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def english(message: object) -> str:
    """A message as English text: a lazy gettext string rendered in English, anything else as it is."""
    if isinstance(message, str):
        return message
    if isinstance(message, LazyString) and message._func is flask_babel.gettext and len(message._args) == 1:
        # lazy_gettext("...", **values): the msgid is the English (quicker than switching the locale: the
        # import makes a message for every refused cell)
        values = {key: english(value) if isinstance(value, LazyString) else value
                  for key, value in message._kwargs.items()}
        return message._args[0] % values if values else message._args[0]
    with force_locale("en"):
        return str(message)


class Invalid(ValueError):
    """A typed value that can't be stored; the message says why, in the words the shop reads.

    Give it a lazy message (`_l("...")`) or a plain one: str(exc) is always English (the order API's JSON, the
    import's stored problems), `shown` is in the page's language (forms, pages).
    """

    def __init__(self, message: object):
        self.message = message
        super().__init__(english(message))

    @property
    def shown(self) -> str:
        """The message in the page's language (a plain English message is looked up in the catalogue)."""
        return gettext(self.message) if isinstance(self.message, str) else str(self.message)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name, for every country Babel knows (not regions or unions)."""
    names = Locale.parse("en").territories
    return {code: name for code, name in names.items()
            if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES}


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    """Lower-cased code or English name -> code."""
    lookup = {}
    for code, name in country_names().items():
        lookup[code.lower()] = code
        lookup[name.lower()] = code
    return lookup


def _blank(value: str | None) -> bool:
    """Nothing typed, or only spaces."""
    return not (value or "").strip()


def _through(service: Callable[..., object], refused: type[ValueError], *args: object) -> object:
    """What a service makes of the value, its refusal raised as Invalid with the service's own message."""
    try:
        return service(*args)
    except refused as exc:
        raise Invalid(exc.args[0] if len(exc.args) == 1 else str(exc)) from exc


def line(value: str | None, *, noun: object, limit: int) -> str:
    """One line of text: squeezed, within its length, without control characters ("" when blank); `noun` names
    it in the message (a lazy string: "first name")."""
    cleaned = text.squeeze(value)
    if len(cleaned) > limit:
        raise Invalid(_l("Keep the %(noun)s to %(limit)s characters", noun=noun, limit=limit))
    if text.has_control_characters(cleaned):
        raise Invalid(text.CONTROL_CHARACTERS_MESSAGE)
    return cleaned


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    """A domain as email-validator normalizes it (checked once per domain: most addresses share a few)."""
    return emails.normalize_email(f"x@{domain}").rpartition("@")[2]


def normalize_email(value: str | None) -> str:
    """emails.normalize_email, quicker for the plain addresses most people have (the same result and errors).

    email-validator checks the part before the @ and the domain separately; a plain ASCII local part
    (dot-atom) passes unchanged, so only the domain needs the slow check, and that is cached.
    """
    cleaned = (value or "").strip()
    local, at, domain = cleaned.rpartition("@")
    if at and len(local) <= 64 and len(cleaned) <= 254 and domain.isascii() and _PLAIN_LOCAL.fullmatch(local):
        return f"{local}@{_email_domain(domain)}"
    return emails.normalize_email(cleaned)


def email(value: str | None) -> str | None:
    """An address email-validator accepts (no DNS lookup), in its normalized form."""
    if _blank(value):
        return None
    try:
        return normalize_email(value)
    except emails.InvalidEmail as exc:
        raise Invalid(emails.reason(exc)) from exc


def phone(value: str | None, region: str) -> str | None:
    """A possible phone number, read in the shop's country unless it starts with +, as E.164."""
    if _blank(value):
        return None
    if text.has_control_characters(value):
        raise Invalid(_l("This is not a phone number"))
    return _through(phones.to_e164, phones.InvalidPhone, value, region)


def abn(value: str | None) -> str | None:
    """An Australian Business Number whose check digits hold, as 11 digits."""
    return None if _blank(value) else _through(business.normalize_abn, business.InvalidABN, value)


def membership_id(value: str | None) -> str | None:
    """Up to 40 letters, digits and dashes, upper-cased (whether another customer holds it is checked apart)."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    if not memberships.well_formed(cleaned):
        raise Invalid(_l("Use up to 40 letters, digits and dashes"))
    return cleaned.upper()


def day(value: str | date | None) -> date | None:
    """A date written year-month-day (2027-03-31), or one a date field already read."""
    if isinstance(value, date) or value is None:
        return value
    cleaned = value.strip()
    if not cleaned:
        return None
    if not _ISO_DATE.fullmatch(cleaned):
        raise Invalid(_l("Use a date such as 2027-03-31 (year-month-day)"))
    try:
        return date.fromisoformat(cleaned)
    except ValueError as exc:
        raise Invalid(_l("This date doesn't exist")) from exc


def country(value: str | None) -> str:
    """A country as its two-letter code ("AU", "au") or English name ("Malaysia"), stored as the code."""
    cleaned = text.squeeze(value)
    if not cleaned:
        return ""
    code = _country_lookup().get(cleaned.lower())
    if code is None:
        raise Invalid(_l("Use a two-letter country code such as AU, or the country's name"))
    return code


def state(value: str | None, country_code: str) -> str:
    """One of the country's states where the shop knows them ("nsw" -> "NSW"), else free text."""
    if text.has_control_characters(value):
        raise Invalid(text.CONTROL_CHARACTERS_MESSAGE)
    return _through(addresses.normalize_state, ValueError, country_code, value)


def postcode(value: str | None, country_code: str) -> str:
    """The country's postcode format (AU 4 digits, MY 5), else free text up to 20 characters."""
    if text.has_control_characters(value):
        raise Invalid(text.CONTROL_CHARACTERS_MESSAGE)
    return _through(addresses.normalize_postcode, ValueError, country_code, value)


def consent(value: str | bool | None) -> bool | None:
    """Yes or no: true/false, yes/no, y/n, 1/0 (or a ticked box); None when left blank."""
    if isinstance(value, bool) or value is None:
        return value
    cleaned = value.strip().lower()
    if not cleaned:
        return None
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise Invalid(_l("Use true or false (yes/no and 1/0 work too)"))
