"""The stored conventions of an address: states per country (codes, names, aliases), postcodes, the folding
that typed and stored text are compared in, and an address on one line as its country writes it."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

AU_STATES = (
    ("ACT", "Australian Capital Territory"),
    ("NSW", "New South Wales"),
    ("NT", "Northern Territory"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("TAS", "Tasmania"),
    ("VIC", "Victoria"),
    ("WA", "Western Australia"),
)
# The 13 states, then the 3 federal territories; names as ISO 3166-2:MY gives them, with the codes in
# common use (Pos Malaysia, vehicle-style abbreviations) and English names accepted as input.
MY_STATES = (
    ("Johor", ("JHR", "MY-01", "Johore")),
    ("Kedah", ("KDH", "MY-02")),
    ("Kelantan", ("KTN", "MY-03")),
    ("Melaka", ("MLK", "MEL", "MY-04", "Malacca")),
    ("Negeri Sembilan", ("NSN", "MY-05", "Negri Sembilan")),
    ("Pahang", ("PHG", "MY-06")),
    ("Perak", ("PRK", "MY-08")),
    ("Perlis", ("PLS", "MY-09")),
    ("Pulau Pinang", ("PNG", "MY-07", "Penang", "Pinang")),
    ("Sabah", ("SBH", "MY-12")),
    ("Sarawak", ("SWK", "MY-13")),
    ("Selangor", ("SGR", "MY-10")),
    ("Terengganu", ("TRG", "MY-11", "Trengganu")),
    ("Wilayah Persekutuan Kuala Lumpur", ("KUL", "KL", "MY-14")),
    ("Wilayah Persekutuan Labuan", ("LBN", "MY-15")),
    ("Wilayah Persekutuan Putrajaya", ("PJY", "MY-16")),
)
COUNTRY_NAMES = {"AU": "Australia", "MY": "Malaysia"}
POSTCODE_DIGITS = {"AU": 4, "MY": 5}
POSTCODE_MESSAGES = {"AU": _l("An Australian postcode has 4 digits"), "MY": _l("A Malaysian postcode has 5 digits")}
MAX_POSTCODE = 20  # address.postcode
MAX_STATE = 100  # address.state

_APOSTROPHES = re.compile(r"['’`]")
_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def fold(value: str) -> str:
    """Lower-case words without accents or punctuation, single-spaced: how typed and stored text compare."""
    if value.isascii():  # most addresses: the same result, without a Python step per character
        return _NOT_ASCII_WORD.sub(" ", _APOSTROPHES.sub("", value.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    # Apostrophes join ("O’Connor" is one word); any other punctuation separates words.
    kept = (ch if ch.isalnum() else " " for ch in decomposed
            if not unicodedata.combining(ch) and ch not in "'’`")
    return " ".join("".join(kept).split())


def _state_lookup() -> dict[str, dict[str, str]]:
    """Folded code, name or alias -> stored state, per country."""
    au = {}
    for code, name in AU_STATES:
        for key in (code, name, f"AU-{code}"):
            au[fold(key)] = code
    my = {}
    for name, aliases in MY_STATES:
        keys = [name, *aliases]
        if name.startswith("Wilayah Persekutuan "):
            short = name.removeprefix("Wilayah Persekutuan ")
            keys += [short, f"WP {short}", f"W.P. {short}", f"Federal Territory of {short}"]
        for key in keys:
            my[fold(key)] = name
    return {"AU": au, "MY": my}


_STATES = _state_lookup()


def states_for(country: str | None) -> list[tuple[str, str]]:
    """The states a country's addresses choose from, as (stored value, name shown); [] when not listed."""
    code = (country or "").upper()
    if code == "AU":
        return list(AU_STATES)
    if code == "MY":
        return [(name, name) for name, _aliases in MY_STATES]
    return []


def state_name(country: str, state: str) -> str:
    """The full name of a stored state ("NSW" -> "New South Wales"); other values come back as they are."""
    if country == "AU":
        return dict(AU_STATES).get(state, state)
    return state


def normalize_state(country: str | None, value: str | None) -> str:
    """The stored form of a state typed as code or name (AU "nsw" -> "NSW"); ValueError when not a state.

    Blank stays blank (whether the field is required is the form's call); countries without a list take
    any text up to 100 characters.
    """
    cleaned = " ".join((value or "").split())
    if not cleaned:
        return ""
    lookup = _STATES.get((country or "").upper())
    if lookup is None:
        if len(cleaned) > MAX_STATE:
            raise ValueError(_("A state has at most %(num)s characters", num=MAX_STATE))
        return cleaned
    key = fold(cleaned)
    found = lookup.get(key) or lookup.get(key.replace(" ", ""))  # "N.S.W." folds to "n s w"
    if found is None:
        raise ValueError(_("Choose a state of %(country)s", country=COUNTRY_NAMES[(country or "").upper()]))
    return found


def normalize_postcode(country: str | None, value: str | None) -> str:
    """The stored form of a postcode: AU exactly 4 digits, MY exactly 5 (spaces dropped); ValueError if not.

    Blank stays blank; other countries take the trimmed text up to 20 characters.
    """
    code = (country or "").upper()
    digits = POSTCODE_DIGITS.get(code)
    if digits is None:
        cleaned = " ".join((value or "").split())
        if len(cleaned) > MAX_POSTCODE:
            raise ValueError(_("A postcode has at most %(num)s characters", num=MAX_POSTCODE))
        return cleaned
    cleaned = "".join((value or "").split())
    if cleaned and not re.fullmatch(rf"[0-9]{{{digits}}}", cleaned):
        raise ValueError(str(POSTCODE_MESSAGES[code]))
    return cleaned


def format_label(country: str, street: str, city: str, state: str, postcode: str) -> str:
    """An address on one line as its country writes it: "12 Smith St, Parramatta NSW 2150" in Australia,
    "Jalan Ampang, 50450 Kuala Lumpur, Wilayah Persekutuan Kuala Lumpur" in Malaysia."""
    if country == "MY":
        town = " ".join(p for p in (postcode, city) if p)
        place = ", ".join(p for p in (town, state) if p)
    else:
        place = " ".join(p for p in (city, state, postcode) if p)
    return ", ".join(p for p in (street, place) if p)


def locality_search_text(country: str, state: str, city: str, postcode: str) -> str:
    """What a locality is found by: folded city, state code and name, postcode, each word after a space.

    The leading space lets `LIKE '% parra%'` (and the trigram indexes behind it) mean "a word starting with
    parra"; two-letter words such as "st" become three characters the trigram index can use.
    """
    words = [city, state]
    name = state_name(country, state)
    if name != state:
        words.append(name)
    if country == "MY":
        words += [alias for stored, aliases in MY_STATES if stored == state for alias in aliases
                  if not alias.startswith("MY-") and len(alias) > 3]  # "Penang", "Malacca"
    words.append(postcode)
    return " " + fold(" ".join(words))
