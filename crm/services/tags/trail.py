"""How a change of tags reads in the trail, for one customer or for thousands written in one statement.

A customer's event has action "tag", field "Tags", and their tags before and after as the sorted names
joined by "; " (None for no tags), so the profile's Changes read "Tags: Wholesale → VIP; Wholesale".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, insert, select

from ...extensions import db
from ...models import AuditEvent, Customer, CustomerTag, Tag, User, utcnow
from .. import audit
from .names import key_of

ACTION = "tag"
FIELD = "Tags"  # as the trail names every field: by its label
BATCH = 5_000  # trail rows a statement


def shown(names: Iterable[str]) -> str | None:
    """Tag names as the trail shows them: sorted case-insensitively, joined by "; "; None for none."""
    names = sorted(names, key=key_of)
    return "; ".join(names) if names else None


def tag_lists(customer_ids: Select | list[int]) -> dict[int, list[str]]:
    """The tag names of the customers the query selects (one query; customers without tags are absent)."""
    lists: dict[int, list[str]] = defaultdict(list)
    stmt = (select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
            .where(CustomerTag.customer_id.in_(customer_ids)))
    for customer_id, name in db.session.execute(stmt):
        lists[customer_id].append(name)
    return lists


def subjects(customer_ids: Select | list[int]) -> dict[int, str]:
    """How the trail names each customer the query selects (as Customer.display_name does)."""
    stmt = select(Customer.id, Customer.first_name, Customer.last_name, Customer.email).where(
        Customer.id.in_(customer_ids))
    return {cid: " ".join(p for p in (first, last) if p) or email or f"Customer {cid}"
            for cid, first, last, email in db.session.execute(stmt)}


def record_many(user: User | None, actor: str | None, changes: Iterable[tuple[int, str, str | None, str | None]],
                detail: str | None = None) -> int:
    """One "tag" event per (customer id, subject, old, new), inserted a batch at a time; returns how many."""
    return record_rows(user.id if user is not None else None, actor or audit.actor_name(user), utcnow(), changes,
                       detail)


def record_rows(user_id: int | None, name: str, at, changes: Iterable[tuple[int, str, str | None, str | None]],
                detail: str | None = None) -> int:
    """record_many for a writer that names its actor itself (an import: who ran it, when it ran)."""
    rows, written = [], 0
    for customer_id, subject, old, new in changes:
        rows.append({"occurred_at": at, "user_id": user_id, "actor": name, "action": ACTION,
                     "customer_id": customer_id, "subject": subject[:201], "field": FIELD, "old_value": old,
                     "new_value": new, "detail": detail})
        if len(rows) >= BATCH:
            written += _insert(rows)
            rows = []
    return written + (_insert(rows) if rows else 0)


def _insert(rows: list[dict]) -> int:
    """Insert trail rows in one executemany."""
    db.session.execute(insert(AuditEvent.__table__), rows)
    return len(rows)
