"""Putting a tag on one customer and taking it off (the profile, the order API, an import's undo), with the
trail and the tag's kept count in the same transaction."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ...extensions import db
from ...models import Customer, CustomerTag, Tag, User
from .. import audit, serial
from . import trail


def _has(customer: Customer, tag: Tag) -> bool:
    """Whether the customer carries the tag (read from the table, not the cached relationship)."""
    return db.session.scalar(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer.id,
                                                              CustomerTag.tag_id == tag.id)) is not None


def _names(customer: Customer) -> list[str]:
    """The customer's tag names as stored now."""
    return list(db.session.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                                   .where(CustomerTag.customer_id == customer.id)))


def _count(tag: Tag, by: int) -> None:
    """Move the tag's kept count in SQL, so concurrent changes add up."""
    db.session.execute(update(Tag).where(Tag.id == tag.id).values(customers=Tag.customers + by))
    db.session.expire(tag, ["customers"])


def _record(customer: Customer, before: list[str], after: list[str], user: User | None, actor: str | None,
            detail: str | None, action: str) -> None:
    """The change in the trail; the customer's cached tags are read again."""
    audit.record(user, action, customer, field=trail.FIELD, old=trail.shown(before), new=trail.shown(after),
                 actor=actor, detail=detail)
    db.session.expire(customer, ["tags"])


def add(customer: Customer, tag: Tag, user: User | None, *, actor: str | None = None, detail: str | None = None,
        action: str = trail.ACTION) -> bool:
    """Put the tag on the customer; False when they already have it (nothing changes)."""
    # The new row copies the customer's segment (migration 0022): on PostgreSQL, wait for any write that may be
    # moving that segment (they all take these locks first), so the copy isn't one that write makes stale.
    serial.lock_segment_counts()
    db.session.flush()
    if _has(customer, tag):
        return False
    before = _names(customer)
    db.session.add(CustomerTag(customer_id=customer.id, tag_id=tag.id))
    db.session.flush()
    _count(tag, 1)
    _record(customer, before, [*before, tag.name], user, actor, detail, action)
    return True


def remove(customer: Customer, tag: Tag, user: User | None, *, actor: str | None = None,
           detail: str | None = None, action: str = trail.ACTION) -> bool:
    """Take the tag off the customer; False when they don't have it."""
    db.session.flush()
    if not _has(customer, tag):
        return False
    before = _names(customer)
    db.session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                 CustomerTag.tag_id == tag.id))
    _count(tag, -1)
    _record(customer, before, [n for n in before if n != tag.name], user, actor, detail, action)
    return True

