"""Delivery addresses: suggestions for the "Street" combobox, states per country, postcode checks.

Suggestions come from two offline sources, so they work with no network:

- the shop's own past addresses (table `address`), matched by street, suburb, state and postcode;
- the bundled gazetteer of localities (table `locality`, loaded by `crm.services.gazetteer`), which turns
  "12 Smith St parra" into "12 Smith St, Parramatta NSW 2150".

An optional Photon server (self-hosted OpenStreetMap geocoder) adds street-level results when it answers
within a short timeout; when it is slow, down or answers nonsense, the local results stand alone.

Stored conventions: Australian states as their abbreviation ("NSW"), Malaysian states and federal
territories by their full Malay name as in ISO 3166-2:MY ("Selangor", "Wilayah Persekutuan Kuala Lumpur");
postcodes as digits (AU 4, MY 5).
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sqlalchemy import case, func, literal_column, or_, select, text

from ..extensions import db
from ..models import Address, Locality

log = logging.getLogger(__name__)

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
POSTCODE_MESSAGES = {"AU": "An Australian postcode has 4 digits", "MY": "A Malaysian postcode has 5 digits"}
MAX_POSTCODE = 20  # address.postcode
MAX_STATE = 100  # address.state

# Words that start or type a street rather than name a place: a locality part made only of these is the
# owner still typing the street ("12 Smith St"), and a street part needs a word that is not one of them.
STREET_WORDS = frozenset((
    "st", "street", "rd", "road", "ave", "av", "avenue", "dr", "drive", "cres", "crescent", "ct", "court",
    "pl", "place", "ln", "lane", "hwy", "highway", "pde", "parade", "tce", "terrace", "way", "blvd",
    "boulevard", "cl", "close", "cct", "circuit", "gr", "grove", "sq", "square", "esp", "esplanade", "mews",
    "row", "walk", "track", "trl", "trail", "loop", "rise", "bvd", "pkwy", "parkway", "fwy", "freeway",
    "cnr", "corner", "jalan", "jln", "lorong", "lrg", "persiaran", "psn", "lebuh", "lebuhraya", "lengkok",
    "lingkaran", "taman", "tmn", "no", "unit", "lot", "level", "lvl", "shop", "suite", "flat", "apt", "blok",
    "block", "bangunan",
))
# Unit and lot words that may come before the number a typed street starts with ("No. 5, Jalan Ampang").
UNIT_WORDS = frozenset(("no", "unit", "lot", "level", "lvl", "shop", "suite", "flat", "apt", "blok", "block"))
MIN_QUERY = 3
# Own addresses read per suggestion, newest first: enough to find those that read as typed, few enough to
# fold in Python within the time budget.
OWN_CANDIDATES = 100
MAX_LOCALITY_WORDS = 5
PHOTON_MAX_BYTES = 1_000_000
# What a slow, failing or confused Photon server can raise here: timeouts, refused connections and HTTP
# errors are OSErrors; a broken HTTP exchange is an HTTPException; bad JSON a ValueError; a wrong shape the rest.
PHOTON_FAILURES = (OSError, HTTPException, ValueError, TypeError, KeyError, AttributeError)
_photon_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="photon")


@dataclass(frozen=True)
class Suggestion:
    """One option of the "Street" combobox: the line shown and the fields choosing it fills."""

    label: str
    street: str
    city: str
    state: str
    postcode: str
    country: str


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
            raise ValueError(f"A state has at most {MAX_STATE} characters")
        return cleaned
    key = fold(cleaned)
    found = lookup.get(key) or lookup.get(key.replace(" ", ""))  # "N.S.W." folds to "n s w"
    if found is None:
        raise ValueError(f"Choose a state of {COUNTRY_NAMES[(country or '').upper()]}")
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
            raise ValueError(f"A postcode has at most {MAX_POSTCODE} characters")
        return cleaned
    cleaned = "".join((value or "").split())
    if cleaned and not re.fullmatch(rf"[0-9]{{{digits}}}", cleaned):
        raise ValueError(POSTCODE_MESSAGES[code])
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


def suggest(query: str, *, country: str | None, limit: int = 8, provider: str = "local",
            photon_url: str | None = None, timeout: float = 0.3) -> list[Suggestion]:
    """Address suggestions for what was typed in "Street", best first; [] for fewer than 3 characters.

    Local results: the shop's own addresses that read as the typed text, and the typed street placed in each
    gazetteer locality matching the trailing words or postcode. `country` (the shop's) sorts first. With
    provider "photon" and a URL, the Photon server's street-level results lead when they come within
    `timeout` seconds; any failure there leaves the local results. Never raises for network trouble.
    """
    typed = " ".join((query or "").split())
    if len(typed) < MIN_QUERY or limit <= 0:
        return []
    preferred = (country or "").upper() or None
    started = time.monotonic()
    pending = None
    if provider == "photon" and photon_url:
        # Sent first so the server works while the local search runs.
        pending = _photon_pool.submit(_photon_fetch, photon_url, typed, limit, timeout)
    local = _local_suggestions(typed, preferred, limit)
    if pending is None:
        return local
    try:
        answer = pending.result(timeout=max(0.0, timeout - (time.monotonic() - started)))
        remote = _photon_suggestions(answer, preferred)
    except PHOTON_FAILURES as exc:  # timeout, refused, HTTP error, bad JSON: the local results stand
        log.info("Photon gave no suggestions for %r: %s", typed, exc or type(exc).__name__)
        return local
    return _unique([*remote, *local], limit)


# Local suggestions ------------------------------------------------------------------------------------

def _local_suggestions(typed: str, country: str | None, limit: int) -> list[Suggestion]:
    """Own past addresses and gazetteer places for the typed text, ranked together."""
    from . import gazetteer  # it reads this module's folding rules, so it is imported when first needed

    try:
        gazetteer.ensure_loaded()
    except Exception:  # a locked or read-only database: suggest from what is there
        log.exception("The bundled gazetteer could not be loaded")
    words = fold(typed).split()
    ranked: list[tuple[int, bool, int, Suggestion]] = []
    for order, (suggestion, starts) in enumerate(_own_addresses(typed, words, country, limit)):
        ranked.append((0 if starts else 2, suggestion.country != country, order, suggestion))
    for order, suggestion in enumerate(_places(typed, country, limit)):
        ranked.append((1, suggestion.country != country, order, suggestion))
    ranked.sort(key=lambda item: item[:3])
    return _unique([item[3] for item in ranked], limit)


def _unique(suggestions: list[Suggestion], limit: int) -> list[Suggestion]:
    """The first `limit` suggestions with distinct labels (case and accents ignored)."""
    seen: set[str] = set()
    out = []
    for suggestion in suggestions:
        key = fold(suggestion.label)
        if key not in seen:
            seen.add(key)
            out.append(suggestion)
            if len(out) == limit:
                break
    return out


def _covers(query_words: list[str], words: list[str]) -> bool:
    """Whether each query word starts a different one of `words` (in any order)."""
    free = list(words)
    for q in sorted(query_words, key=len, reverse=True):  # longest first, so "st" can't take "stanmore"'s place
        for i, w in enumerate(free):
            if w.startswith(q):
                del free[i]
                break
        else:
            return False
    return True


def _reads_as(query_words: list[str], words: list[str]) -> bool:
    """Whether the query words start consecutive words of the address, from its start (after any unit or
    house numbers): "12 smith st parra" reads as "12 Smith Street, Parramatta"."""
    n = len(query_words)
    for start in range(len(words) - n + 1):
        if all(words[start + i].startswith(q) for i, q in enumerate(query_words)):
            return all(w.isdigit() or w in UNIT_WORDS for w in words[:start])
        if not (words[start].isdigit() or words[start] in UNIT_WORDS):
            break
    return False


def _like_escape(value: str) -> str:
    """Escape LIKE wildcards with a backslash."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _own_addresses(typed: str, words: list[str], country: str | None,
                   limit: int) -> list[tuple[Suggestion, bool]]:
    """The shop's past addresses in which every typed word starts a word, newest first, each with whether
    it reads as the typed text from its start."""
    # Casefolded but with accents kept: the stored text is compared as it is.
    raw_words = [w for w in re.split(r"[^\w]+", typed.casefold().replace("'", "").replace("’", "")) if w]
    indexed = [w for w in raw_words if len(w) >= 3]
    if not indexed:
        return []  # two-letter words alone would mean reading every address
    dialect = db.session.get_bind().dialect.name
    columns = (Address.street, Address.city, Address.state, Address.postcode, Address.country)
    if dialect == "sqlite":
        # Through the FTS5 trigram table of migration 0005, newest first, stopping after enough rows.
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
        ids = (select(literal_column("rowid").label("id")).select_from(text("address_fts"))
               .where(text("address_fts MATCH :own_match").bindparams(own_match=match))
               .order_by(literal_column("rowid").desc()).limit(OWN_CANDIDATES).subquery())
        query = select(*columns).join(ids, Address.id == ids.c.id)
        short = [w for w in raw_words if len(w) < 3]
        whole = Address.street + " " + Address.city + " " + Address.state + " " + Address.postcode
        for w in short:
            query = query.where(whole.like(f"%{_like_escape(w)}%", escape="\\"))
    else:
        # The same expression as the pg_trgm index of migration 0005, so ILIKE can use it.
        whole = literal_column("(street || ' ' || city || ' ' || state || ' ' || postcode)")
        query = select(*columns).where(*(whole.ilike(f"%{_like_escape(w)}%", escape="\\")
                                         for w in raw_words))
        query = query.order_by(Address.id.desc()).limit(OWN_CANDIDATES)
    starting, other = [], []
    for row in db.session.execute(query):
        street, city, state, postcode, addr_country = row
        address_words = fold(f"{street} {city} {state} {state_name(addr_country, state)} {postcode}").split()
        if not _covers(words, address_words):
            continue
        if _reads_as(words, address_words):
            starting.append(row)
            if len(starting) == limit:
                break  # nothing can rank above these
        elif len(other) < limit:
            other.append(row)
    return [(Suggestion(format_label(c, street, city, state, postcode), street, city, state, postcode, c), starts)
            for rows, starts in ((starting, True), (other, False))
            for street, city, state, postcode, c in rows]


def _has_name_word(street: str) -> bool:
    """Whether a typed street part names a street (has a word that isn't a number or a street type)."""
    return any(not w.isdigit() and w not in STREET_WORDS for w in fold(street).split())


def _splits(typed: str) -> list[tuple[str, list[str]]]:
    """Ways to read the typed text as (street as typed, folded locality words), most specific first.

    After a comma the rest is the locality; otherwise the last 5, 4, ... 1 words are tried. A whole text
    may be a locality alone ("parramatta", "2150"); a street part must name a street; a locality part
    made of street words only ("12 Smith St") is the owner still typing the street, and its numbers must
    have 4 digits or more to be (the start of) a postcode rather than a house number.
    """
    tokens = list(re.finditer(r"[^\s,]+", typed))
    cuts = []
    comma = typed.rfind(",")
    if comma != -1:
        cuts.append(comma + 1)
    n = len(tokens)
    cuts += [tokens[n - k].start() for k in range(min(n, MAX_LOCALITY_WORDS), 0, -1)]
    out: list[tuple[str, list[str]]] = []
    for cut in cuts:
        street = typed[:cut].strip(" ,")
        words = fold(typed[cut:]).split()
        if not words or all(w in STREET_WORDS for w in words):
            continue
        if any(w.isdigit() and len(w) < 4 for w in words):
            continue  # a house number, or too little of a postcode to mean one
        if street and not _has_name_word(street):
            continue
        if (street, words) not in out:
            out.append((street, words))
    return out


def _places(typed: str, country: str | None, limit: int) -> list[Suggestion]:
    """The typed street in each gazetteer locality that its trailing words (or postcode) match."""
    for street, words in _splits(typed):
        rows = _matching_localities(words, country, limit)
        if rows:
            return [Suggestion(format_label(c, street, city, state, postcode), street, city, state, postcode, c)
                    for c, state, city, postcode in rows]
    return []


def _matching_localities(words: list[str], country: str | None, limit: int) -> list[tuple]:
    """Localities with a word starting with each of `words`: the country's first, then those whose name
    starts with the words as typed, exact postcodes, shorter names, and the gazetteer file's order."""
    indexed = [w for w in words if len(w) >= 2]  # with its leading space, three characters or more
    if not indexed:
        return []
    dialect = db.session.get_bind().dialect.name
    query = select(Locality.country, Locality.state, Locality.city, Locality.postcode, Locality.search_text)
    if dialect == "sqlite":
        match = " AND ".join(f'" {w}"' for w in indexed)  # folded words hold no quotes
        query = query.where(Locality.id.in_(
            select(literal_column("rowid")).select_from(text("locality_fts"))
            .where(text("locality_fts MATCH :place_match").bindparams(place_match=match))))
        query = query.where(*(Locality.search_text.like(f"% {w}%") for w in words if len(w) < 2))
    else:
        query = query.where(*(Locality.search_text.like(f"% {w}%") for w in words))
    numbers = [w for w in words if w.isdigit()]
    query = query.order_by(
        case((Locality.country == (country or ""), 0), else_=1),
        case((Locality.search_text.like(" " + " ".join(words) + "%"), 0), else_=1),
        case((Locality.postcode.in_(numbers), 0), else_=1) if numbers else Locality.id,
        func.length(Locality.city), Locality.city, Locality.id,  # within a town, the file's order
    ).limit(max(4 * limit, 32))
    return [row[:4] for row in db.session.execute(query) if _covers(words, row.search_text.split())][:limit]


# Photon -----------------------------------------------------------------------------------------------

def _photon_fetch(base_url: str, typed: str, limit: int, timeout: float) -> dict:
    """Ask Photon's /api for house and street results (runs in a worker thread; no database here)."""
    root = base_url.rstrip("/").removesuffix("/api")
    params = [("q", typed), ("limit", str(limit)), ("lang", "en"), ("layer", "house"), ("layer", "street")]
    request = Request(f"{root}/api?{urlencode(params)}", headers={"Accept": "application/json"})
    with urlopen(request, timeout=timeout) as response:  # also bounds each socket wait
        body = response.read(PHOTON_MAX_BYTES + 1)
    if len(body) > PHOTON_MAX_BYTES:
        raise ValueError("Photon answer too large")
    answer = json.loads(body)
    if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
        raise TypeError("Photon answer is not a GeoJSON FeatureCollection")
    return answer


def _text(properties: dict, key: str) -> str:
    """A property as tidy text ('' when missing or not text)."""
    value = properties.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _photon_suggestions(answer: dict, country: str | None) -> list[Suggestion]:
    """Suggestions from Photon features that have a street, in the stored conventions; the country's first."""
    parsed = []
    for feature in answer["features"]:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        code = _text(properties, "countrycode").upper()[:2]
        street_name = _text(properties, "street") or (
            _text(properties, "name") if properties.get("osm_key") == "highway"
            or properties.get("type") == "street" else "")
        if not street_name:
            continue
        number = _text(properties, "housenumber")
        street = (f"{number}, {street_name}" if code == "MY" else f"{number} {street_name}") if number \
            else street_name
        try:
            state = normalize_state(code, _text(properties, "state"))
        except ValueError:
            state = _text(properties, "state")[:MAX_STATE]
        try:
            postcode = normalize_postcode(code, _text(properties, "postcode"))
        except ValueError:
            postcode = ""  # a range or a typo in the map data: better empty than wrong
        towns = [t for t in (_text(properties, k) for k in ("city", "district", "locality")) if t]
        parsed.append((code, street, towns, state, postcode))
    known = _gazetteer_towns({(code, postcode) for code, _s, _t, _st, postcode in parsed if postcode})
    out = []
    for code, street, towns, state, postcode in parsed:
        # The postal locality is whichever of city, district or locality the gazetteer has at that postcode
        # (in Australia the suburb, often Photon's district); else Photon's city.
        names = known.get((code, postcode), {})
        city = next((names[fold(t)] for t in towns if fold(t) in names), towns[0] if towns else "")
        out.append(Suggestion(format_label(code, street, city, state, postcode), street, city[:100], state,
                              postcode, code))
    out.sort(key=lambda s: s.country != country)
    return out


def _gazetteer_towns(keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """(country, postcode) -> {folded name: name} of the gazetteer's localities there."""
    if not keys:
        return {}
    rows = db.session.execute(select(Locality.country, Locality.postcode, Locality.city).where(
        or_(*((Locality.country == c) & (Locality.postcode == p) for c, p in keys))))
    out: dict[tuple[str, str], dict[str, str]] = {}
    for code, postcode, city in rows:
        out.setdefault((code, postcode), {})[fold(city)] = city
    return out
