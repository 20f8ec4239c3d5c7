"""Finding customers: the list's segment tabs, counts, search, location filter, the filter panel, sorts and pages."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, literal_column, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from .. import urlargs
from ..extensions import db
from ..models import ALL_SEGMENTS, Address, Customer, LocationCount, SegmentCount
from . import filter_sets, phones, segments
from . import filters as filtering
from . import shop as shops
from .filters import Filters
from .shop import get_settings

# Sort key in the URL -> (column, direction when first chosen)
SORTS = {
    "name": (Customer.name_key, "asc"),
    "orders": (Customer.order_count, "desc"),
    "spent": (Customer.total_spent, "desc"),
    "last_order": (Customer.last_order_at, "desc"),
    "created": (Customer.created_at, "desc"),
}
DEFAULT_SORT = "created"
# What the list calls each sort, in the order its sort bar offers them (the column headers say the same).
SORT_LABELS = {"created": _l("Newest"), "name": _l("Name"), "orders": _l("Orders"), "spent": _l("Total spent"),
               "last_order": _l("Last order")}
# A place with at most this many customers is filtered as a set of ids, even alongside a search.
SMALL_PLACE = 2000
# The most entries a page walks along its sort index, testing each customer, rather than gathering the
# matches and sorting them (see _walk_pays).
WALK_LIMIT = 5000


def tabs() -> tuple[str, ...]:
    """The list's tabs: "all", then every segment in the registry's order."""
    return ("all", *segments.keys())


def tab_labels() -> dict[str, str]:
    """What each tab is called, in the tabs' order."""
    return {"all": _("All"), **{key: segment.label for key, segment in segments.by_key().items()}}


@dataclass(frozen=True)
class Location:
    """A place to filter customers by: any of country (ISO code), state and city, each matched exactly.

    Parts left empty match anything, so `city=Kingston` finds Kingston in every state and
    `country=AU&state=TAS&city=Kingston` only the Tasmanian one.
    """

    country: str = ""
    state: str = ""
    city: str = ""

    @classmethod
    def from_args(cls, args) -> Location:
        """Read country, state and city from request args; a country that isn't two letters is ignored."""
        country = urlargs.text(args, "country", 3).upper()
        country = country if len(country) == 2 and country.isascii() and country.isalpha() else ""
        # Cut to the address columns' lengths: nothing longer is stored.
        return cls(country, urlargs.text(args, "state", 100), urlargs.text(args, "city", 100))

    def __bool__(self) -> bool:
        """Whether any part of a place was given."""
        return bool(self.country or self.state or self.city)

    @property
    def level(self) -> str | None:
        """The finest part given: "city", "state", "country", or None for no place at all."""
        return "city" if self.city else "state" if self.state else "country" if self.country else None

    def args(self) -> dict:
        """The URL arguments for this place (only the parts given)."""
        return {k: v for k, v in (("country", self.country), ("state", self.state), ("city", self.city)) if v}

    def conditions(self, table=Address) -> list:
        """Equality on each part given, for the address table or a LocationCount query."""
        return [getattr(table, part) == value for part, value in
                (("country", self.country), ("state", self.state), ("city", self.city)) if value]


@dataclass
class ListQuery:
    """What the owner asked the list for, already cleaned: bad values fall back to the defaults."""

    segment: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    direction: str = "desc"
    page: int = 1
    location: Location = field(default_factory=Location)
    filters: Filters = field(default_factory=Filters)
    # What was ignored or read another way in the URL, said on the page ("Ignored orders from “abc”: ...").
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args, currency: str | None = None) -> ListQuery:
        """Read segment, q, sort, dir, page, the place and the filters from request args (a MultiDict, or a
        dict whose values may be lists), ignoring anything unknown or malformed; amounts are in `currency`
        (the shop's unless given)."""
        segment = urlargs.one(args, "segment") or "all"
        segment = segment if segment in tabs() else "all"
        sort = urlargs.one(args, "sort") or DEFAULT_SORT
        sort = sort if sort in SORTS else DEFAULT_SORT
        direction = urlargs.one(args, "dir") or SORTS[sort][1]
        direction = direction if direction in ("asc", "desc") else SORTS[sort][1]
        page = urlargs.page_number(args)
        q = urlargs.text(args, "q")
        filters, notes = filtering.read(args, currency or get_settings().currency)
        return cls(segment, q, sort, direction, page, Location.from_args(args), filters, tuple(notes))

    def args(self, **changes) -> dict:
        """URL arguments for this query with some changed, leaving out the defaults to keep URLs short.

        `location=None` drops the place, `filters=None` the panel's filters; otherwise both come along to
        every tab, sort and page. Repeatable arguments (`tag`) are lists, as url_for takes them.
        """
        merged = {"segment": self.segment, "q": self.q, "sort": self.sort, "dir": self.direction,
                  "page": self.page, "location": self.location, "filters": self.filters, **changes}
        out = {}
        if merged["segment"] != "all":
            out["segment"] = merged["segment"]
        if merged["q"]:
            out["q"] = merged["q"]
        if merged["sort"] != DEFAULT_SORT or merged["dir"] != SORTS[DEFAULT_SORT][1]:
            out["sort"] = merged["sort"]
            out["dir"] = merged["dir"]
        if merged["page"] != 1:
            out["page"] = merged["page"]
        if merged["location"]:
            out.update(merged["location"].args())
        if merged["filters"]:
            out.update(merged["filters"].args())
        return out


@dataclass
class CustomerPage:
    """One page of the customer list, with the counts for every tab."""

    query: ListQuery
    customers: list[Customer]
    counts: dict[str, int]
    per_page: int
    total: int = field(init=False)
    pages: int = field(init=False)

    def __post_init__(self):
        self.total = self.counts[self.query.segment]
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown."""
        return (self.query.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        """1-based position of the last row shown."""
        return self.first_index + len(self.customers) - 1


def fold_accents(text: str) -> str:
    """Lower case without accents: "Zoë Ångström" -> "zoe angstrom"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_text_for(customer: Customer) -> str:
    """What word search looks through: names, email and company, lower-cased (phones have their own index).

    Words with accents are kept twice, as written and folded, so "zoe" finds "Zoë" and "zoë" does too.
    """
    words = [customer.first_name, customer.last_name, customer.email, customer.company_name]
    text = " ".join(w.strip() for w in words if w and w.strip()).casefold()
    folded = [w for w in fold_accents(text).split() if w not in text.split()]
    return " ".join([text, *folded]) if folded else text


def name_key_for(full_name: str) -> str:
    """Sort key for names: accents folded so "Émile" sorts with E on SQLite and PostgreSQL alike."""
    return fold_accents(full_name)[:201]


def refresh_search_fields(customer: Customer) -> None:
    """Update the stored search text and name sort key after names, email or company change."""
    customer.search_text = search_text_for(customer)
    # Someone who gave no name (a follower) is listed by email, so sorts by it too.
    customer.name_key = name_key_for(customer.full_name or customer.email or "")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone_filter(prefixes: list[str]):
    """Numbers starting with any of the prefixes, through the phone and whatsapp indexes."""
    ranges = []
    for prefix in prefixes:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        for column in (Customer.phone, Customer.whatsapp):
            ranges.append(and_(column >= prefix, column < upper))
    return or_(*ranges)


def _word_filter(words: list[str], dialect: str):
    """Every word somewhere in the search text.

    Words of three or more characters go through the trigram index (SQLite FTS5, PostgreSQL pg_trgm, both
    made by migration 0002); shorter ones can only be checked row by row.
    """
    likes = [Customer.search_text.like(f"%{_like_escape(w)}%", escape="\\") for w in words]
    indexed = [w for w in words if len(w) >= 3]
    if dialect != "sqlite" or not indexed:
        return and_(*likes)
    match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    matched = select(literal_column("rowid")).select_from(text("customer_fts")).where(
        text("customer_fts MATCH :fts_query").bindparams(fts_query=match))
    short = [like for w, like in zip(words, likes) if len(w) < 3]
    return and_(Customer.id.in_(matched), *short)


def search_filter(q: str, region: str, dialect: str):
    """SQL condition for a search: a phone number whatever its formatting, or every word somewhere."""
    if not q:
        return None
    prefixes = phones.search_prefixes(q, region)
    if prefixes:
        # As a set of ids, so a tab's index walk can test each entry without reading its row.
        return Customer.id.in_(select(Customer.id).where(_phone_filter(prefixes)))
    return _word_filter(q.casefold().split(), dialect)


def location_filter(location: Location, walk: bool = False):
    """SQL condition for customers living in a place (None for no place).

    As a set of ids from the address index by default, which suits a place with few customers. With
    `walk`, as a per-row test instead, so the page can walk its sort index and stop after 25 hits: right
    for a place where many customers live (a country, a big state), where building the set costs more.
    """
    if not location:
        return None
    if walk:
        # An alias, so a query that also joins the customer's address (an export) can't swallow this one.
        place = aliased(Address)
        return (select(place.id).where(place.customer_id == Customer.id, *location.conditions(place))
                .correlate(Customer).exists())
    return Customer.id.in_(place_ids(location))


def place_ids(location: Location) -> Select:
    """The ids of the customers living in a place, from the address index."""
    place = aliased(Address)
    return select(place.customer_id).where(*location.conditions(place))


def location_counts(location: Location) -> dict[str, int]:
    """Customers per segment tab (and "all") in a place, from the per-place counts the triggers keep."""
    rows = db.session.execute(
        select(LocationCount.segment, func.sum(LocationCount.customers))
        .where(LocationCount.level == location.level, *location.conditions(LocationCount))
        .group_by(LocationCount.segment))
    kept = {segment: int(customers) for segment, customers in rows}
    return {"all": kept.get(ALL_SEGMENTS, 0), **{key: kept.get(key, 0) for key in segments.keys()}}


def _walk_pays(matches: int, query: ListQuery, per_page: int) -> bool:
    """Whether walking the sort index, testing each customer, beats reading the matches first, for this page.

    A walk reads about (rows up to this page) x (customers in the tab) / (matches in the tab) entries, and
    stops; reading the matches first costs one lookup each (or a pass over the filters' index), then a sort.
    So walk when that is fewer entries than the matches, and not past WALK_LIMIT (each may read its row).
    """
    if query.segment == "all":
        in_tab = db.session.scalar(select(func.coalesce(func.sum(SegmentCount.customers), 0)))
    else:
        in_tab = db.session.scalar(select(SegmentCount.customers).where(SegmentCount.segment == query.segment))
    walk = query.page * per_page * (in_tab or 0) / max(matches, 1)
    return walk <= min(matches, WALK_LIMIT)


def segment_counts(condition) -> dict[str, int]:
    """Customers per segment tab (and "all"): kept counts when there is no search, else counted over the matches."""
    if condition is None:
        rows = db.session.execute(select(SegmentCount.segment, SegmentCount.customers))
    else:
        rows = db.session.execute(
            select(Customer.segment, func.count()).where(condition).group_by(Customer.segment))
    counts = {key: 0 for key in segments.keys()}
    counts.update((key, count) for key, count in rows if key in counts)
    return {"all": sum(counts.values()), **counts}


def filter_conditions(query: ListQuery) -> list:
    """The SQL conditions of the query's panel filters (none when no filter is on)."""
    return filtering.conditions(query.filters, get_settings()) if query.filters else []


def matching_ids(query: ListQuery, region: str) -> Select:
    """The ids of every customer the query's tab, search, place and filters match (no sort, no page): what
    "Select all N matching", a saved view's count and an export of the current view read."""
    search = search_filter(query.q, region, db.session.get_bind().dialect.name)
    stmt = select(Customer.id)
    if query.segment != "all":
        stmt = stmt.where(Customer.segment == query.segment)
    for condition in (search, location_filter(query.location)):
        if condition is not None:
            stmt = stmt.where(condition)
    return stmt.where(*filter_conditions(query))


def count_matching(query: ListQuery, region: str) -> int:
    """How many customers the query's tab, search, place and filters match: read from the kept counts when it is
    only a tab (and a place), from the set's rows for one tag or membership state alone, else counted over
    the matches."""
    if not query.q and not query.filters:
        kept = location_counts(query.location) if query.location else segment_counts(None)
        return kept[query.segment]
    if not query.q and not query.location and filter_sets.sets_only(query.filters):
        kept = filter_sets.counts(query.filters, shops.today(get_settings()), lambda: segment_counts(None))
        if kept is not None:
            return kept[query.segment]
    return db.session.scalar(select(func.count()).select_from(matching_ids(query, region).subquery()))


def _sets_condition_and_counts(query: ListQuery, place_counts: dict[str, int] | None, per_page: int):
    """Tags or membership (and a place): tab counts from the set's own rows where they tell them, and a page
    that walks the sort index when the matches are many, else reads them first."""
    settings = get_settings()
    today = shops.today(settings)
    if place_counts is None:
        counts = filter_sets.counts(query.filters, today, lambda: segment_counts(None))
    else:
        counts = filter_sets.counts(query.filters, today, lambda: place_counts, within=place_ids(query.location))
    if counts is None:
        place = [] if place_counts is None else [location_filter(query.location)]
        counts = segment_counts(and_(*place, *filtering.conditions(query.filters, settings)))
    walk = _walk_pays(counts[query.segment], query, per_page)
    place = [] if place_counts is None else [location_filter(query.location, walk=walk)]
    return and_(*place, *filtering.conditions(query.filters, settings, walk=walk)), counts, not walk


def _condition_and_counts(query: ListQuery, region: str, per_page: int):
    """What the page's customers must match besides the tab, the count of matches in every tab, and whether
    the page is to be sorted from the filters' pass (True) rather than by walking the sort index."""
    search = search_filter(query.q, region, db.session.get_bind().dialect.name)
    place_counts = location_counts(query.location) if query.location else None
    if search is None and filter_sets.sets_only(query.filters):
        return _sets_condition_and_counts(query, place_counts, per_page)
    filtered = filter_conditions(query)
    if place_counts is not None and search is None and not filtered:
        # A place alone: its tabs' counts are kept per place, like the whole shop's.
        return location_filter(query.location, walk=_walk_pays(place_counts[query.segment], query, per_page)), \
            place_counts, False
    # With a search too, a small place is cheapest as its set of ids; in a big one each search match tests
    # its own address. Filters read every entry of their index, so for them the place is always a set.
    place = None if place_counts is None else location_filter(
        query.location, walk=place_counts["all"] > SMALL_PLACE and not filtered)
    parts = [c for c in (search, place) if c is not None] + filtered
    condition = and_(*parts) if parts else None
    counts = segment_counts(condition)
    # Filters that many customers pass: the page walks the sort index, reading rows until it has enough.
    scanned = bool(filtered) and (search is not None or not _walk_pays(counts[query.segment], query, per_page))
    return condition, counts, scanned


def customer_page(query: ListQuery, region: str, per_page: int) -> CustomerPage:
    """The customers on one page of the list, and the tab counts, for a cleaned ListQuery."""
    condition, counts, scanned = _condition_and_counts(query, region, per_page)
    column, _direction = SORTS[query.sort]
    if scanned:
        # Filtered, the page is sorted from the filter index's pass rather than by walking the sort index.
        column = filtering.Scanned(column)
    order = column.asc() if query.direction == "asc" else column.desc()
    tiebreak = Customer.id.asc() if query.direction == "asc" else Customer.id.desc()
    if query.sort == "last_order":
        order = order.nulls_last()  # customers who never ordered go last in both directions
    # Pick the page's ids with a narrow query (the sort carries only the key and id, and walks the
    # segment-and-sort index), then load those 25 whole rows.
    page_ids = select(Customer.id)
    if query.segment != "all":
        page_ids = page_ids.where(Customer.segment == query.segment)
    if condition is not None:
        page_ids = page_ids.where(condition)
    page_ids = page_ids.order_by(order, tiebreak).limit(per_page).offset((query.page - 1) * per_page)
    stmt = (select(Customer).options(selectinload(Customer.address))
            .where(Customer.id.in_(page_ids.scalar_subquery())).order_by(order, tiebreak))
    customers = list(db.session.scalars(stmt))
    return CustomerPage(query, customers, counts, per_page)
