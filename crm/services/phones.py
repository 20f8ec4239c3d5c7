"""Phone numbers: parsed with the shop's country as default region, stored E.164, shown national.

Parsing is slow next to the rest of a list row, so the pure display helpers are memoised.
"""

import re
from functools import lru_cache

import phonenumbers
from flask_babel import gettext as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

_PHONE_QUERY = re.compile(r"^\+?[\d\s().\-]+$")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    """The text is not a possible phone number."""


def to_e164(raw: str, region: str) -> str:
    """Parse what a person typed ("0412 345 678", "+61 412 345 678") into E.164, or raise InvalidPhone."""
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhone(_("This is not a phone number")) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("This phone number is not possible"))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def display(e164: str | None, region: str) -> str:
    """National format for numbers in the shop's country, international format for the rest."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=8192)
def is_mobile(e164: str) -> bool:
    """Whether the number can be a mobile (and so reach WhatsApp)."""
    try:
        return phonenumbers.number_type(phonenumbers.parse(e164, None)) in _MOBILE_TYPES
    except NumberParseException:
        return False


def whatsapp_digits(whatsapp: str | None, phone: str | None) -> str | None:
    """Digits for https://wa.me/<digits>: the WhatsApp number, else a mobile contact number."""
    if whatsapp:
        return whatsapp.lstrip("+")
    if phone and is_mobile(phone):
        return phone.lstrip("+")
    return None


def search_prefixes(query: str, region: str) -> list[str] | None:
    """If the query looks like a phone number, the E.164 beginnings it can stand for; else None.

    "0412 345 678", "+61412345678" and "412345678" all give "+61412345678" (the last also "+412345678",
    an international number typed without its plus). A partial number ("0412") gives a prefix.
    """
    text = query.strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3 or not _PHONE_QUERY.match(text):
        return None
    if text.startswith("+"):
        return ["+" + digits]
    code = phonenumbers.country_code_for_region(region)
    if digits.startswith("0"):
        national = digits[1:]
        return [f"+{code}{national}"] if code and national else ["+" + digits.lstrip("0")]
    return [f"+{code}{digits}", f"+{digits}"] if code else [f"+{digits}"]


def matched_whatsapp(customers: list, q: str, region: str) -> set[int]:
    """Of the customers a number search lists, those there for their WhatsApp number alone: the list would
    show their contact number, which doesn't start with what was typed."""
    prefixes = search_prefixes(q, region) if q else None
    if not prefixes:
        return set()

    def starts(number: str | None) -> bool:
        return bool(number) and any(number.startswith(prefix) for prefix in prefixes)

    return {c.id for c in customers if c.phone and not starts(c.phone) and starts(c.whatsapp)}
