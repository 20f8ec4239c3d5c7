"""Settings › Tags: renaming, recolouring, merging and deleting a tag of the shop's list.

Each is one "tags" event in the trail (the list changed), and a rename, merge or delete also one "tag" event
per customer whose tags read differently afterwards, written in batches as bulk actions write theirs.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ...customers.checks import Invalid
from ...extensions import db
from ...models import CustomerTag, Tag, User
from .. import audit, deleted
from . import many, trail
from .names import PALETTE, clean_colour, clean_name, find, key_of


def _holders(tag: Tag):
    """The customers who carry the tag, as a query of ids."""
    return select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id)


def _plural(count: int) -> str:
    return f"{count:,} customer{'s' * (count != 1)}"


def rename(tag: Tag, typed: str | None, user: User | None) -> bool:
    """Give the tag a new name (its customers keep it); False when the name is the same. Invalid when the name
    breaks the rule or another tag has it (in any case): merging is the way to join two tags."""
    name = clean_name(typed)
    if name == tag.name:
        return False
    other = find(name)
    if other is not None and other.id != tag.id:
        raise Invalid(_("There is already a tag “%(other)s”: merge “%(tag)s” into it instead", other=other.name,
                        tag=tag.name))
    old = tag.name
    holders = sorted(db.session.scalars(_holders(tag)))
    lists, names = trail.tag_lists(_holders(tag)), trail.subjects(_holders(tag))
    tag.name, tag.name_key = name, key_of(name)
    db.session.flush()
    rows = [(cid, names.get(cid, f"Customer {cid}"), trail.shown(lists[cid]),
             trail.shown([name if n == old else n for n in lists[cid]])) for cid in holders]
    trail.record_many(user, None, rows, detail=f"Tag “{old}” renamed")
    audit.record(user, "tags", None, field="Tag name", old=old, new=name, subject=name)
    return True


def recolour(tag: Tag, colour: str | None, user: User | None) -> bool:
    """Give the tag a colour of the palette (None: no colour); False when it already has it."""
    colour = clean_colour(colour)
    if colour == tag.colour:
        return False
    audit.record(user, "tags", None, field="Tag colour", subject=tag.name,
                 old=PALETTE.get(tag.colour, "None"), new=PALETTE.get(colour, "None"))
    tag.colour = colour
    db.session.flush()
    return True


def merge(source: Tag, target: Tag, user: User | None) -> int:
    """Put `target` on every customer who has `source`, then delete `source`: each customer ends with one of
    them. Returns how many customers had `source`. Invalid for a tag merged into itself."""
    if source.id == target.id:
        raise Invalid(_("A tag can't be merged into itself: choose another tag"))
    holders = sorted(db.session.scalars(_holders(source)))
    lists, names = trail.tag_lists(_holders(source)), trail.subjects(_holders(source))
    many.add_to_many(target, _holders(source), user, record=False)
    db.session.execute(delete(CustomerTag.__table__).where(CustomerTag.__table__.c.tag_id == source.id))
    rows = []
    for cid in holders:
        before = lists[cid]
        after = {n for n in before if n != source.name} | {target.name}
        rows.append((cid, names.get(cid, f"Customer {cid}"), trail.shown(before), trail.shown(after)))
    trail.record_many(user, None, rows, detail=f"Tag “{source.name}” merged into “{target.name}”")
    audit.record(user, "tags", None, subject=target.name,
                 detail=f"Merged “{source.name}” into “{target.name}”: {_plural(len(holders))} had “{source.name}”")
    deleted.retag(source.id, target.id)
    db.session.delete(source)
    db.session.flush()
    db.session.refresh(target)
    return len(holders)


def delete_tag(tag: Tag, user: User | None) -> int:
    """Delete the tag: every customer who had it loses it. Returns how many did."""
    holders = sorted(db.session.scalars(_holders(tag)))
    lists, names = trail.tag_lists(_holders(tag)), trail.subjects(_holders(tag))
    rows = [(cid, names.get(cid, f"Customer {cid}"), trail.shown(lists[cid]),
             trail.shown([n for n in lists[cid] if n != tag.name])) for cid in holders]
    trail.record_many(user, None, rows, detail=f"Tag “{tag.name}” deleted")
    audit.record(user, "tags", None, subject=tag.name,
                 detail=f"Deleted tag “{tag.name}”: {_plural(len(holders))} lost it")
    deleted.retag(tag.id, None)
    db.session.execute(delete(CustomerTag.__table__).where(CustomerTag.__table__.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()
    return len(holders)
