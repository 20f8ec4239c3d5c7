"""A tag put on or taken off thousands of customers at once (bulk actions, Settings › Tags' merge): set-based
statements instead of one write per customer, and the trail written in batches.

add_to_many is one INSERT ... SELECT of the customers who lack the tag (RETURNING who got it), one UPDATE of
the tag's count, then one query each for the changed customers' names and tags and a trail row per customer.
"""

from __future__ import annotations

from sqlalchemy import Select, delete, exists, insert, literal, select, update

from ...extensions import db
from ...models import Customer, CustomerTag, Tag, User
from .. import serial
from . import trail


def _lacking(tag: Tag, ids: Select) -> Select:
    """The customers of `ids` who don't carry the tag, paired with it and their segment, as customer_tag's
    columns (given here, the segment spares the insert trigger a lookup per row)."""
    has = exists().where(CustomerTag.customer_id == ids.c.id, CustomerTag.tag_id == tag.id)
    return (select(ids.c.id, literal(tag.id), Customer.segment).join(Customer, Customer.id == ids.c.id)
            .where(~has))


def _as_subquery(ids: Select):
    """The ids query as a subquery whose column is called id."""
    column = ids.selected_columns[0]
    return ids.with_only_columns(column.label("id")).subquery()


def _write_trail(changed: list[int], ids: Select, tag: Tag, user: User | None, actor: str | None, *, added: bool,
                 detail: str | None = None) -> None:
    """A trail row per changed customer: their tags without and with this one (read after the change, for the
    whole selection in one query each: an IN list of thousands of ids costs more to build than to run)."""
    if not changed:
        return
    chosen = select(ids.c.id)
    lists, names = trail.tag_lists(chosen), trail.subjects(chosen)
    rows, name = [], tag.name  # read once: an ORM attribute costs a lookup every time
    for cid in changed:
        others = [n for n in lists.get(cid, ()) if n != name]
        with_tag = [*others, name]
        old, new = (others, with_tag) if added else (with_tag, others)
        rows.append((cid, names.get(cid, f"Customer {cid}"), trail.shown(old), trail.shown(new)))
    trail.record_many(user, actor, rows, detail)


def add_to_many(tag: Tag, ids: Select, user: User | None, *, actor: str | None = None,
                detail: str | None = None, record: bool = True) -> int:
    """Put the tag on every customer `ids` selects (a query of customer ids); those who have it are skipped.
    Returns how many customers got it; each has a trail row (unless the caller writes its own, `record`
    False), and the tag's count follows."""
    serial.lock_segment_counts()  # the rows copy segments: see customer.add
    db.session.flush()
    chosen = _as_subquery(ids)
    source = _lacking(tag, chosen)
    stmt = insert(CustomerTag.__table__).from_select(["customer_id", "tag_id", "segment"], source).returning(CustomerTag.__table__.c.customer_id)
    changed = sorted(db.session.scalars(stmt))
    if changed:
        db.session.execute(update(Tag).where(Tag.id == tag.id).values(customers=Tag.customers + len(changed)))
    if record:
        _write_trail(changed, chosen, tag, user, actor, added=True, detail=detail)
    return len(changed)


def remove_from_many(tag: Tag, ids: Select, user: User | None, *, actor: str | None = None,
                     detail: str | None = None) -> int:
    """Take the tag off every customer `ids` selects; those without it are skipped. Returns how many lost it."""
    db.session.flush()
    table, chosen = CustomerTag.__table__, _as_subquery(ids)
    stmt = (delete(table).where(table.c.tag_id == tag.id, table.c.customer_id.in_(select(chosen.c.id)))
            .returning(CustomerTag.__table__.c.customer_id))
    changed = sorted(db.session.scalars(stmt))
    if changed:
        db.session.execute(update(Tag).where(Tag.id == tag.id).values(customers=Tag.customers - len(changed)))
    _write_trail(changed, chosen, tag, user, actor, added=False, detail=detail)
    return len(changed)
