"""The segment registry: each segment declared once, in tab order, with the rule that puts customers in it.

Everything that shows or counts segments reads `SEGMENTS`: the customer list's tabs, their counts and empty
states, the badges (icon, label and the CSS class `segment-<key>`; app.css colours them by key), Insights'
split and its export, the CSV export, and the kept counts (a `segment_count` row and `location_count` rows
per key, which the database triggers create the first time a customer has that segment).

Adding a segment is one entry below, placed where its tab goes: its rule is checked in this order and the
first that holds wins, so it must sit before any segment that would otherwise take its customers. Then
`flask --app crm recompute-stats` moves the existing customers into it. No migration: the customer table has
no CHECK on segment (migration 0011 dropped it) and the count triggers take the segment as a value.
A customer's segment is stored and set again whenever their figures change, so a rule that time alone can
make true (no order for a year) needs recompute-stats run from time to time, e.g. daily from cron.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import case, update

from ..extensions import db
from ..models import ALL_SEGMENTS, Customer

# A rule: (figures, shop) -> whether a customer is in the segment. `figures` has order_count, total_spent,
# first_order_at and last_order_at, as Python values (segment_for) or as SQL columns (segment_case); `shop`
# has the settings rules compare with (vip_threshold). So that one lambda serves both, a rule is made of
# comparisons joined with & and | (which read as "and" and "or" on booleans and on SQL conditions alike),
# never `and`, `or`, `not`, `~` or `if`. A missing date (no paid order yet) compares false either way.
Rule = Callable[[Any, Any], Any]
KEY_LENGTH = 10  # customer.segment and segment_count.segment are String(10)
RESERVED = (ALL_SEGMENTS, "all")  # location_count's rows for all segments, and the list's first tab


@dataclass(frozen=True)
class Segment:
    """One segment: its key, how the dashboard shows it, and who is in it."""

    key: str  # stored on each customer, in the URL (?segment=) and in the CSV export
    label: str  # the tab's and the badge's text (translatable: lazy_gettext)
    icon: Markup  # the inside of the badge's 24 x 24 SVG icon
    empty_title: str  # the list's empty state for the tab...
    empty_text: str  # ...and what to do next; "{vip_threshold}" is filled in with the shop's threshold
    rule: Rule | None = None  # None only for the last segment: everyone no rule before it took

    @property
    def css_class(self) -> str:
        """The badge's CSS class, from the key (app.css gives each its colours)."""
        return f"segment-{self.key}"


@dataclass(frozen=True)
class Standing:
    """The figures a rule may look at, as Python values: a customer's paid orders."""

    order_count: int
    total_spent: int  # minor units
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None


SEGMENTS: tuple[Segment, ...] = (
    Segment("vip", _l("VIP"),
            Markup('<path d="M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6L2.5 9.4l6.6-.8z" '
                   'fill="currentColor"/>'),
            _l("No VIP customers yet"), _l("Customers become VIPs when their lifetime spend reaches {vip_threshold}."),
            rule=lambda c, shop: c.total_spent >= shop.vip_threshold),
    Segment("returning", _l("Returning"),
            Markup('<path d="M17 2l4 4-4 4M3 11V9a3 3 0 0 1 3-3h15M7 22l-4-4 4-4M21 13v2a3 3 0 0 1-3 3H3" '
                   'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
                   'stroke-linejoin="round"/>'),
            _l("No returning customers yet"), _l("Customers show here after their second paid order."),
            rule=lambda c, shop: c.order_count >= 2),
    Segment("new", _l("New"),
            Markup('<path d="M11 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z" fill="currentColor"/>'
                   '<path d="M19 2v5M16.5 4.5h5" fill="none" stroke="currentColor" stroke-width="1.8" '
                   'stroke-linecap="round"/>'),
            _l("No new customers"), _l("Customers with exactly one paid order show here."),
            rule=lambda c, shop: c.order_count == 1),
    Segment("prospect", _l("Prospect"),
            Markup('<circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/>'
                   '<path d="M12 7v5l3 2" fill="none" stroke="currentColor" stroke-width="2" '
                   'stroke-linecap="round"/>'),
            _l("No prospects"), _l("People who follow your shop but haven't ordered yet show here.")),
)


def check(segments: tuple[Segment, ...]) -> None:
    """Refuse a registry that can't work: keys that clash, are reserved or too long; a last that isn't "the rest"."""
    keys = [s.key for s in segments]
    if len(set(keys)) != len(keys):
        raise ValueError(f"segment keys repeat: {keys}")
    for segment in segments:
        if segment.key in RESERVED or len(segment.key) > KEY_LENGTH or not segment.key.isascii():
            raise ValueError(f"segment key {segment.key!r}: up to {KEY_LENGTH} ASCII characters, none of {RESERVED}")
    if not segments or segments[-1].rule is not None or any(s.rule is None for s in segments[:-1]):
        raise ValueError("every segment but the last needs a rule; the last takes everyone else")


check(SEGMENTS)


def by_key() -> dict[str, Segment]:
    """The segments by key, in tab order."""
    return {segment.key: segment for segment in SEGMENTS}


def keys() -> tuple[str, ...]:
    """The segment keys in tab order."""
    return tuple(segment.key for segment in SEGMENTS)


def label(key: str, default: str = "") -> str:
    """The label of a segment key (`default` for a key that isn't one)."""
    segment = by_key().get(key)
    return segment.label if segment else default


class _Null:
    """A missing figure in a Python check: every comparison with it is false, as NULL's is in an SQL CASE."""

    def _false(self, other) -> bool:
        """No comparison holds."""
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _false
    __hash__ = None


class _Checked:
    """A customer's figures as a rule sees them in Python: None (no paid order yet) reads as _Null."""

    def __init__(self, figures):
        """Wrap figures that have the Standing attributes."""
        self._figures = figures

    def __getattr__(self, name: str):
        """The figure, or _Null for a missing one."""
        value = getattr(self._figures, name)
        return _NULL if value is None else value


_NULL = _Null()


def segment_for(figures, shop) -> str:
    """The segment of one customer, from their paid-order figures (a Standing) and the shop's settings."""
    checked = _Checked(figures)
    for segment in SEGMENTS[:-1]:
        if segment.rule(checked, shop):
            return segment.key
    return SEGMENTS[-1].key


def segment_case(columns, shop):
    """The same rules as segment_for, as one SQL CASE over the given columns (the Customer model's, say)."""
    return case(*((segment.rule(columns, shop), segment.key) for segment in SEGMENTS[:-1]),
                else_=SEGMENTS[-1].key)


def reassign_all(shop) -> int:
    """Move every customer to the segment the rules put them in now (after the VIP threshold changes)."""
    expr = segment_case(Customer, shop)
    result = db.session.execute(
        update(Customer).where(Customer.segment != expr).values(segment=expr),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
