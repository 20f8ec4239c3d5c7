"""Suggestions that need no network: the shop's own past addresses that read as the typed text, and the
typed street placed in each gazetteer locality that its trailing words or postcode match."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, literal_column, select, text

from ...extensions import db
from ...models import Address, Locality
from .states import fold, format_label, state_name

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
# Own addresses read per suggestion, newest first: enough to find those that read as typed, few enough to
# fold in Python within the time budget.
OWN_CANDIDATES = 100
MAX_LOCALITY_WORDS = 5


@dataclass(frozen=True)
class Suggestion:
    """One option of the "Street" combobox: the line shown and the fields choosing it fills."""

    label: str
    street: str
    city: str
    state: str
    postcode: str
    country: str



def local_suggestions(typed: str, country: str | None, limit: int) -> list[Suggestion]:
    """Own past addresses and gazetteer places for the typed text, ranked together.

    Only reads: the gazetteer is loaded by the task worker at start-up (or `flask --app crm load-gazetteer`).
    """
    words = fold(typed).split()
    ranked: list[tuple[int, bool, int, Suggestion]] = []
    for order, (suggestion, starts) in enumerate(_own_addresses(typed, words, country, limit)):
        ranked.append((0 if starts else 2, suggestion.country != country, order, suggestion))
    for order, suggestion in enumerate(_places(typed, country, limit)):
        ranked.append((1, suggestion.country != country, order, suggestion))
    ranked.sort(key=lambda item: item[:3])
    return unique([item[3] for item in ranked], limit)


def unique(suggestions: list[Suggestion], limit: int) -> list[Suggestion]:
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
    query = _own_address_query(typed)
    if query is None:
        return []
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


def _own_address_query(typed: str):
    """The newest OWN_CANDIDATES addresses containing every typed word, through the database's own text index;
    None when only two-letter words were typed (that would mean reading every address)."""
    # Casefolded but with accents kept: the stored text is compared as it is.
    raw_words = [w for w in re.split(r"[^\w]+", typed.casefold().replace("'", "").replace("’", "")) if w]
    indexed = [w for w in raw_words if len(w) >= 3]
    if not indexed:
        return None
    columns = (Address.street, Address.city, Address.state, Address.postcode, Address.country)
    if db.session.get_bind().dialect.name != "sqlite":
        # The same expression as the pg_trgm index of migration 0005, so ILIKE can use it.
        whole = literal_column("(street || ' ' || city || ' ' || state || ' ' || postcode)")
        query = select(*columns).where(*(whole.ilike(f"%{_like_escape(w)}%", escape="\\")
                                         for w in raw_words))
        return query.order_by(Address.id.desc()).limit(OWN_CANDIDATES)
    # Through the FTS5 trigram table of migration 0005, newest first, stopping after enough rows.
    match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    ids = (select(literal_column("rowid").label("id")).select_from(text("address_fts"))
           .where(text("address_fts MATCH :own_match").bindparams(own_match=match))
           .order_by(literal_column("rowid").desc()).limit(OWN_CANDIDATES).subquery())
    query = select(*columns).join(ids, Address.id == ids.c.id)
    whole = Address.street + " " + Address.city + " " + Address.state + " " + Address.postcode
    for w in (w for w in raw_words if len(w) < 3):
        query = query.where(whole.like(f"%{_like_escape(w)}%", escape="\\"))
    return query


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
