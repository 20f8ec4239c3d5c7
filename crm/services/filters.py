"""The customer list's filter panel: tags, spend, orders, dates, membership, email marketing and source.

`read(args, currency)` turns URL arguments into `Filters` and the notes for values it ignored (malformed
numbers and dates, unknown tags and choices); a reversed range is swapped and said so. `conditions` turns
them into SQL over columns the customer row keeps (order_count, total_spent, last_order_at, created_at,
email_marketing, source), the tag links and the membership table: no filter aggregates orders. `chips`
names each active filter for the list, with the filters left when it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from babel.dates import format_date
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from .. import urlargs
from ..extensions import db
from ..models import ALL_SEGMENTS, SOURCES, Customer, CustomerTag, LocationCount, Membership, Tag
from . import shop as shops
from .money import format_money, to_minor
from .tags.names import key_of
from .text import as_one_line

TAG_MODES = ("any", "all", "none")
MEMBERSHIPS = ("active", "expiring", "expired", "none")
MARKETING = ("yes", "no")
SOURCE_LABELS = {"order": _l("Checkout order"), "follow": _l("Followed the shop"), "manual": _l("Added by hand"),
                 "import": _l("Imported")}
DEFAULT_EXPIRING_DAYS = 30
MAX_DAYS = 36_500  # a hundred years: further back than any shop's first order
MAX_ORDERS = 10**9
MAX_TAGS = 20
# What the panel calls each argument, for the notes about values it ignored.
LABELS = {"tag": _l("tag"), "tag_mode": _l("tag match"), "spent_min": _l("total spent from"),
          "spent_max": _l("total spent to"), "orders_min": _l("orders from"), "orders_max": _l("orders to"),
          "last_order_after": _l("last order from"), "last_order_before": _l("last order to"),
          "lapsed_days": _l("last order more than … days ago"), "since_after": _l("customer since from"),
          "since_before": _l("customer since to"), "membership": _l("membership"),
          "expiring_days": _l("expiring within … days"), "marketing": _l("email marketing"), "source": _l("source")}
# Each range: (from, to) argument names.
RANGES = (("spent_min", "spent_max"), ("orders_min", "orders_max"), ("last_order_after", "last_order_before"),
          ("since_after", "since_before"))


@dataclass(frozen=True)
class Filters:
    """The panel's filters, cleaned: None or "" means not filtered by it. Dates are days in the shop's zone."""

    tags: tuple[str, ...] = ()  # tag names as the shop's list spells them
    tag_mode: str = "any"
    spent_min: Decimal | None = None  # shop currency
    spent_max: Decimal | None = None
    orders_min: int | None = None
    orders_max: int | None = None
    last_order_after: date | None = None  # on or after this day
    last_order_before: date | None = None  # on or before this day
    lapsed_days: int | None = None  # last order more than this many days ago
    since_after: date | None = None
    since_before: date | None = None
    membership: str = ""
    expiring_days: int = DEFAULT_EXPIRING_DAYS
    marketing: str = ""
    source: str = ""
    tag_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        """Whether any filter is on."""
        return any(self.args().keys() - {"tag_mode", "expiring_days"})

    def args(self) -> dict:
        """The URL arguments for these filters (`tag` a list), leaving out what filters nothing."""
        out: dict = {}
        if self.tags:
            out["tag"] = list(self.tags)
            if self.tag_mode != "any":
                out["tag_mode"] = self.tag_mode
        for name in ("spent_min", "spent_max", "orders_min", "orders_max", "last_order_after",
                     "last_order_before", "lapsed_days", "since_after", "since_before"):
            value = getattr(self, name)
            if value is not None:
                out[name] = f"{value:f}" if isinstance(value, Decimal) else str(value)
        for name in ("membership", "marketing", "source"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.membership == "expiring" and self.expiring_days != DEFAULT_EXPIRING_DAYS:
            out["expiring_days"] = str(self.expiring_days)
        return out

    def without(self, *names: str) -> Filters:
        """These filters with some turned off (field names; "tags" takes the tag ids along)."""
        defaults = {f.name: f.default for f in fields(self)}
        changes = {name: defaults[name] for name in names}
        if "tags" in names:
            changes.update(tag_mode="any", tag_ids=())
        if "membership" in names:
            changes["expiring_days"] = DEFAULT_EXPIRING_DAYS
        return replace(self, **changes)


def _shown(raw) -> str:
    """A value as typed, short enough to quote in a note."""
    text = as_one_line(str(raw or ""))
    return text if len(text) <= 40 else text[:39] + "…"


class _Reader:
    """Reads one argument after another, keeping a note for each that was given but couldn't be used."""

    def __init__(self, args):
        self.args, self.notes = args, []

    def take(self, name: str, read, *extra):
        """The argument read by `read(args, name, *extra)`, or None (and a note) when it is malformed."""
        try:
            return read(self.args, name, *extra)
        except urlargs.Malformed as problem:
            self.notes.append(_("Ignored %(what)s “%(value)s”: %(problem)s.", what=LABELS[name],
                                value=_shown(urlargs.one(self.args, name)), problem=problem))
            return None


def _tags(reader: _Reader) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The tags named in the URL that the shop has (matched case-insensitively), and their ids."""
    names = urlargs.texts(reader.args, "tag", 80, MAX_TAGS)
    if not names:
        return (), ()
    keys = {key_of(as_one_line(name)): name for name in names}  # as the tag list tells names apart
    found = {row.name_key: row for row in db.session.scalars(select(Tag).where(Tag.name_key.in_(keys)))}
    for key, name in keys.items():
        if key not in found:
            reader.notes.append(_("Ignored tag “%(tag)s”: the shop has no such tag.", tag=_shown(name)))
    known = [found[key] for key in keys if key in found]
    return tuple(tag.name for tag in known), tuple(tag.id for tag in known)


def _swap_reversed(values: dict, notes: list[str]) -> None:
    """A range given backwards (from after to) is read the right way round, with a note saying so."""
    for low, high in RANGES:
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            values[low], values[high] = values[high], values[low]
            notes.append(_("Swapped %(low)s %(low_value)s and %(high)s %(high_value)s, which were the wrong way "
                           "round.", low=LABELS[low], low_value=values[high], high=LABELS[high],
                           high_value=values[low]))


def read(args, currency: str) -> tuple[Filters, list[str]]:
    """The filters in URL arguments (a MultiDict, or a dict whose values may be lists), and the notes."""
    reader = _Reader(args)
    tags, tag_ids = _tags(reader)
    values = {name: reader.take(name, urlargs.amount, currency) for name in ("spent_min", "spent_max")}
    values |= {name: reader.take(name, urlargs.whole_number, MAX_ORDERS) for name in ("orders_min", "orders_max")}
    values |= {name: reader.take(name, urlargs.iso_date) for name in
               ("last_order_after", "last_order_before", "since_after", "since_before")}
    values["lapsed_days"] = reader.take("lapsed_days", urlargs.whole_number, MAX_DAYS)
    _swap_reversed(values, reader.notes)
    expiring = reader.take("expiring_days", urlargs.whole_number, MAX_DAYS)
    picked = {name: reader.take(name, urlargs.choice, options) or "" for name, options in
              (("tag_mode", TAG_MODES), ("membership", MEMBERSHIPS), ("marketing", MARKETING),
               ("source", SOURCES))}
    return Filters(tags=tags, tag_ids=tag_ids, tag_mode=picked.pop("tag_mode") or "any",
                   expiring_days=DEFAULT_EXPIRING_DAYS if expiring is None else expiring,
                   **values, **picked), reader.notes


class Scanned(ColumnElement):
    """A customer column that SQLite must not pick an index by (written `+column`); plain elsewhere.

    Filtered pages and counts read ix_customer_filters, which holds every filtered and sorted column: one
    pass over its 100,000 entries costs a few milliseconds whatever matches. Left to itself, SQLite (which
    keeps no statistics here) would rather walk a sort index or a range index and read each row it meets,
    which costs a hundred milliseconds when the filter is broad or the matches are few.
    """

    inherit_cache = True

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(Scanned)
def _plain(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(Scanned, "sqlite")
def _unindexed(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)


def _start_of(day: date, zone_name: str) -> datetime:
    """Midnight at the start of a day in the shop's time zone (compared with the UTC columns)."""
    return datetime.combine(day, time(), shops.zone(zone_name))


def lapsed_before(days: int, settings) -> datetime:
    """When a last order must be before for "more than `days` days ago": midnight `days` days before today,
    in the shop's zone."""
    return _start_of(shops.today(settings) - timedelta(days=days), settings.timezone)


def _day_range(column, after: date | None, before: date | None, zone_name: str) -> list:
    """A stored time on or after one day and on or before another, both in the shop's zone."""
    out = []
    if after is not None:
        out.append(column >= _start_of(after, zone_name))
    if before is not None:
        out.append(column < _start_of(before + timedelta(days=1), zone_name))
    return out


def _in_set(rows, walk: bool, *where):
    """Customers with a row in `rows` (CustomerTag or Membership) matching `where`: as a set of ids built once
    from the rows' index, or, with `walk`, as a test of each customer row against that index (for a page that
    walks a sort index and stops after a page of matches)."""
    if walk:
        return select(rows.customer_id).where(rows.customer_id == Customer.id, *where).correlate(Customer).exists()
    return Customer.id.in_(select(rows.customer_id).where(*where))


def _tag_conditions(f: Filters, walk: bool = False) -> list:
    """Any of, all of, or none of the tags, through customer_tag's index by tag."""
    if not f.tag_ids:
        return []

    def carrying(*ids):
        return _in_set(CustomerTag, walk, CustomerTag.tag_id.in_(ids))

    if f.tag_mode == "all":
        return [carrying(tag_id) for tag_id in f.tag_ids]
    return [~carrying(*f.tag_ids)] if f.tag_mode == "none" else [carrying(*f.tag_ids)]


def membership_rule(f: Filters, today: date):
    """The membership rows of the chosen state: active (no expiry, or not yet past), expiring soon, expired;
    None for "none" (or no membership filter)."""
    expires = Membership.expires_on
    return {"active": or_(expires.is_(None), expires >= today),
            "expiring": expires.between(today, today + timedelta(days=f.expiring_days)),
            "expired": expires < today}.get(f.membership)


def _membership_condition(f: Filters, today: date, walk: bool = False):
    """Members whose membership is in the chosen state; or non-members."""
    if not f.membership:
        return None
    if f.membership == "none":
        return ~_in_set(Membership, walk)
    return _in_set(Membership, walk, membership_rule(f, today))


def conditions(f: Filters, settings, walk: bool = False) -> list:
    """SQL conditions on customer for every filter that is on (settings: the shop's currency, zone and day).
    Tags and membership are sets of ids, or with `walk` a test per customer row (see _in_set)."""
    out = _tag_conditions(f, walk)
    currency, zone_name = settings.currency, settings.timezone
    spent, orders, last_order = Scanned(Customer.total_spent), Scanned(Customer.order_count), \
        Scanned(Customer.last_order_at)
    if f.spent_min is not None:
        out.append(spent >= to_minor(f.spent_min, currency))
    if f.spent_max is not None:
        out.append(spent <= to_minor(f.spent_max, currency))
    if f.orders_min is not None:
        out.append(orders >= f.orders_min)
    if f.orders_max is not None:
        out.append(orders <= f.orders_max)
    out += _day_range(last_order, f.last_order_after, f.last_order_before, zone_name)
    today = shops.today(settings)
    if f.lapsed_days is not None:
        out.append(last_order < lapsed_before(f.lapsed_days, settings))
    out += _day_range(Scanned(Customer.created_at), f.since_after, f.since_before, zone_name)
    # Beside tags that pick the customers, a membership is tested per customer: building the set of 25,000
    # members once costs more than looking up the few the tags leave.
    membership = _membership_condition(f, today, walk or bool(f.tag_ids and f.tag_mode != "none"))
    if membership is not None:
        out.append(membership)
    if f.marketing:
        out.append(Customer.email_marketing.is_(f.marketing == "yes"))
    if f.source:
        out.append(Customer.source == f.source)
    return out


@dataclass(frozen=True)
class Chip:
    """One active filter as the list shows it: "Total spent: at least A$100.00", removed by "Remove filter: Total spent"."""

    name: str
    value: str
    without: Filters  # the filters left when this one is removed


def _range_text(low, high, show) -> str:
    """"2 to 5", "at least 2", "at most 5" (with dates: "on or after", "on or before")."""
    if low is not None and high is not None:
        return _("%(low)s to %(high)s", low=show(low), high=show(high))
    if isinstance(low if low is not None else high, date):
        return _("on or after %(day)s", day=show(low)) if low is not None else _("on or before %(day)s", day=show(high))
    return _("at least %(value)s", value=show(low)) if low is not None else _("at most %(value)s", value=show(high))


def _tags_text(f: Filters) -> str:
    """"Wholesale", "Wholesale or Gift", "Wholesale and Gift", "not Wholesale", "none of Wholesale, Gift"."""
    if len(f.tags) == 1:
        return _("not %(tag)s", tag=f.tags[0]) if f.tag_mode == "none" else f.tags[0]
    if f.tag_mode == "none":
        return _("none of %(tags)s", tags=", ".join(f.tags))
    word = _("and") if f.tag_mode == "all" else _("or")
    return f" {word} ".join(f.tags)


def _membership_text(f: Filters) -> str:
    """What the membership filter asks for, in words."""
    if f.membership == "expiring":
        return ngettext("expiring within %(count)s day", "expiring within %(count)s days", f.expiring_days,
                        count=format(f.expiring_days, ","))
    return {"active": _("active"), "expired": _("expired"), "none": _("none")}.get(f.membership, f.membership)


def chips(f: Filters, currency: str, country: str) -> list[Chip]:
    """A chip for each active filter, in the panel's order, with money and days shown as the shop writes them."""
    def money(value):
        return format_money(to_minor(value, currency), currency, country)

    def day(value):
        return format_date(value, "medium", locale=shops.locale_for(country))

    found: list[Chip] = []

    def add(name, value, *turned_off):
        found.append(Chip(name, value, f.without(*turned_off)))

    if f.tags:
        add(_("Tags"), _tags_text(f), "tags")
    for name, low, high, show in ((_("Total spent"), "spent_min", "spent_max", money),
                                  (_("Orders"), "orders_min", "orders_max", "{:,}".format),
                                  (_("Last order"), "last_order_after", "last_order_before", day)):
        if getattr(f, low) is not None or getattr(f, high) is not None:
            add(name, _range_text(getattr(f, low), getattr(f, high), show), low, high)
    if f.lapsed_days is not None:
        add(_("Lapsed"), ngettext("last order more than %(count)s day ago", "last order more than %(count)s days ago",
                                  f.lapsed_days, count=format(f.lapsed_days, ",")), "lapsed_days")
    if f.since_after is not None or f.since_before is not None:
        add(_("Customer since"), _range_text(f.since_after, f.since_before, day), "since_after", "since_before")
    if f.membership:
        add(_("Membership"), _membership_text(f), "membership")
    if f.marketing:
        add(_("Email marketing"), _("yes") if f.marketing == "yes" else _("no"), "marketing")
    if f.source:
        add(_("Source"), str(SOURCE_LABELS[f.source]), "source")
    return found


def shop_tags() -> list[Tag]:
    """The shop's tags by name, with how many customers carry each, for the panel's choices."""
    return list(db.session.scalars(select(Tag).order_by(Tag.name_key)))


def place_choices(level: str, country: str = "", state: str = "", limit: int = 1000) -> list[tuple[str, int]]:
    """Countries, a country's states or a state's cities with their customers, from the kept per-place counts.

    Biggest first up to `limit`, then in name order; places with no customers left are left out.
    """
    part = getattr(LocationCount, level)
    where = [LocationCount.level == level, LocationCount.segment == ALL_SEGMENTS, LocationCount.customers > 0,
             part != ""]
    if level in ("state", "city"):
        where.append(LocationCount.country == country)
    if level == "city":
        where.append(LocationCount.state == state)
    rows = db.session.execute(select(part, LocationCount.customers).where(*where)
                              .order_by(LocationCount.customers.desc()).limit(limit)).all()
    return sorted(((name, count) for name, count in rows), key=lambda row: row[0].casefold())


def describe(which, currency: str, country: str) -> str:
    """An export's customers in the trail's words: "VIP, search “smith”, Tags: Wholesale; Orders: at least 2".
    In English whatever the page's language, as the trail keeps every text (its page translates labels)."""
    with force_locale("en"):
        parts = [str(which.segment_label)] + ([f"search “{which.q}”"] if which.q else [])
        found = chips(which.filters, currency, country)
        if found:
            parts.append("; ".join(f"{chip.name}: {chip.value}" for chip in found))
        return ", ".join(parts)
