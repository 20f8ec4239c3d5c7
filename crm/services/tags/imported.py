"""Tags a customer import brings: the names of a file's tags cell, and writing them for thousands of customers
in a few statements (the import's bulk write, inside its transaction), with the trail and the kept counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, insert, select, update

from ...customers.checks import Invalid
from ...extensions import db
from ...models import CustomerTag, Tag
from . import trail
from .names import SEPARATORS, clean_name, get_or_create, key_of


def read_cell(raw: str) -> tuple[str, ...]:
    """The tag names of a tags cell ("Wholesale; VIP" or Shopify's "Wholesale, VIP"), each once; Invalid
    naming the first one the rule refuses."""
    for separator in SEPARATORS[1:]:
        raw = raw.replace(separator, SEPARATORS[0])
    names: dict[str, str] = {}
    for part in raw.split(SEPARATORS[0]):
        if not part.strip():
            continue
        try:
            name = clean_name(part)
        except Invalid as exc:
            raise Invalid(_("Tag “%(tag)s”: %(problem)s", tag=part.strip()[:40], problem=exc)) from None
        names.setdefault(key_of(name), name)
    return tuple(names.values())


@dataclass(frozen=True, slots=True)
class TagChange:
    """A customer's tag names before and after a row (compared case-insensitively)."""

    before: tuple[str, ...]
    after: tuple[str, ...]

    def added(self) -> list[str]:
        held = {key_of(n) for n in self.before}
        return [n for n in self.after if key_of(n) not in held]

    def removed(self) -> list[str]:
        kept = {key_of(n) for n in self.after}
        return [n for n in self.before if key_of(n) not in kept]


def change_for(before: Iterable[str], cell: tuple[str, ...], overwrite: bool) -> TagChange | None:
    """What a row's tags do: add the cell's names (the customer's become exactly them when overwriting);
    None when nothing changes."""
    before = tuple(before)
    held = {key_of(n): n for n in before}
    if overwrite:
        after = tuple(held.get(key_of(n), n) for n in cell)
    else:
        after = before + tuple(n for n in cell if key_of(n) not in held)
    change = TagChange(before, after)
    return change if change.added() or change.removed() else None


def _ids(names: Iterable[str]) -> dict[str, int]:
    """Each name's tag id by key, making the tags the shop doesn't have yet."""
    keys = {key_of(n): n for n in names}
    found = dict(db.session.execute(select(Tag.name_key, Tag.id).where(Tag.name_key.in_(list(keys)))).all()) \
        if keys else {}
    for key, name in keys.items():
        if key not in found:
            found[key] = get_or_create(name).id
    return found


def write(changes: list[tuple[int, str, TagChange]], user_id: int | None, actor: str, at, detail: str) -> None:
    """Apply (customer id, subject, change) for many customers: customer_tag rows added and removed in one
    statement each, the counts moved, a "tag" event per customer."""
    if not changes:
        return
    ids = _ids(n for _cid, _subject, change in changes for n in change.added())
    added = [{"customer_id": cid, "tag_id": ids[key_of(n)]} for cid, _s, change in changes for n in change.added()]
    gone = _ids(n for _cid, _subject, change in changes for n in change.removed())
    removed = [{"cid": cid, "tid": gone[key_of(n)]} for cid, _s, change in changes for n in change.removed()]
    if added:
        db.session.execute(insert(CustomerTag.__table__), added)
    if removed:
        table = CustomerTag.__table__
        db.session.execute(delete(table).where(and_(table.c.customer_id == bindparam("cid"),
                                                    table.c.tag_id == bindparam("tid"))), removed)
    moves = Counter(row["tag_id"] for row in added)
    moves.subtract(row["tid"] for row in removed)
    if any(moves.values()):
        db.session.execute(update(Tag.__table__).where(Tag.__table__.c.id == bindparam("tid"))
                           .values(customers=Tag.__table__.c.customers + bindparam("by")),
                           [{"tid": tid, "by": by} for tid, by in moves.items() if by])
    trail.record_rows(user_id, actor, at, ((cid, subject, trail.shown(c.before), trail.shown(c.after))
                                            for cid, subject, c in changes), detail)
