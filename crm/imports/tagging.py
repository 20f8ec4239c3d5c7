"""A file's tags column (crm's own export, Shopify's "Tags"): the names in a cell, what they change on a
customer, and writing them with the import.

A row adds its cell's tags to the customer's and never takes one off, unless the import overwrites existing
values: then the customer's tags become exactly the cell's. A blank cell changes nothing either way (an import
never erases). Names are compared case-insensitively, and a name the shop has is that tag, in its spelling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..extensions import db
from ..models import CustomerTag, Tag
from ..services.tags.imported import TagChange, change_for, read_cell
from .batches import chunks
from .rules import FIELDS, TAGS

if TYPE_CHECKING:
    from .changes import _Diff
    from .matching import StoredCustomer

__all__ = ["TagChange", "tag_change", "with_tags"]


def tag_change(diff: _Diff) -> TagChange | None:
    """What the row's tags cell changes on its customer (the "Tags" label joins the row's changes)."""
    cell = diff.read(TAGS, read_cell)
    if cell is None:
        return None
    before = diff.current.tags if diff.current is not None else ()
    change = change_for(before, cell, diff.overwrite)
    if change is not None:
        diff.labels.append(FIELDS[TAGS])
    return change


def with_tags(stored: dict[int, StoredCustomer]) -> dict[int, StoredCustomer]:
    """The stored customers with their tags' names (for a file with a tags column)."""
    held: dict[int, list[str]] = defaultdict(list)
    for part in chunks(list(stored)):
        stmt = (select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
                .where(CustomerTag.customer_id.in_(part)).order_by(Tag.name_key))
        for customer_id, name in db.session.execute(stmt):
            held[customer_id].append(name)
    return {cid: replace(customer, tags=tuple(held[cid])) for cid, customer in stored.items()}
