"""Undoing a finished import from what it kept in import_change: the customers it created leave the shop, and
the values it changed are put back, unless the shop moved on since.

A created customer who has had an order since stays (an order is the shop's record). A value that was changed
again since stays as it is now: undo puts back only what is still as the import left it. The delivery address
and the membership are one value each, as the import wrote them: if any part changed since, the whole stays.
Everything that stays is listed in the result. Undo writes like any other change (the writer, with the trail
action "undo"), in the caller's transaction, and never commits.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..customers import fields, writer
from ..extensions import db
from ..models import Customer, ImportChange, ImportJob, Order, User, utcnow
from ..services import audit, erasure, notes, tags
from .batches import chunks
from .changes import ADDRESS_KEYS, from_text
from .messages import N_
from .rules import IMPORT_ONLY, NOTE, TAGS
from .tables import CONSENT_RECORD

LISTED = 500  # customers kept or values left, listed by name in the result (the counts say the rest)
MEMBERSHIP_KEYS = ("membership_id", "membership_expires_on")


class CannotUndo(ValueError):
    """This import can't be undone (says why)."""


@dataclass
class UndoResult:
    """What an undo did and what it left, as the undo page and the trail say it."""

    deleted: int = 0  # created customers moved to Recently deleted
    customers: int = 0  # updated customers with values put back
    values: int = 0  # values put back
    kept: list[list] = field(default_factory=list)  # [id, name]: created customers with orders since
    kept_count: int = 0
    changed: list[list] = field(default_factory=list)  # [id, name, field label]: values changed since
    changed_count: int = 0
    gone: int = 0  # customers no longer in the shop (deleted or removed since)

    def summary(self) -> dict:
        """The result as JSON-ready values (kept with the import)."""
        return dict(vars(self))

    def sentence(self) -> str:
        """The result in a line, for the trail."""
        return (f"{self.deleted} created {'customer' if self.deleted == 1 else 'customers'} moved to Recently "
                f"deleted, {self.values} {'value' if self.values == 1 else 'values'} put back, {self.kept_count} "
                f"kept (orders since), {self.changed_count} changed since left as they are")


def undoable(job: ImportJob) -> bool:
    """Whether the import can be undone: it finished, kept what it did, and isn't undone yet."""
    return job.status == "done" and bool(job.changes_kept) and job.undone_at is None


def undo(job: ImportJob, user: User | None, progress: Callable[[int, int], None] | None = None) -> UndoResult:
    """Undo the import in the current transaction; CannotUndo when it can't be (or already was) undone."""
    if job.undone_at is not None:
        raise CannotUndo(N_("Nothing was undone: this import was already undone."))
    if not undoable(job):
        raise CannotUndo(N_("Nothing was undone: only a finished import made since undo exists can be undone."))
    report = progress or (lambda _done, _total: None)
    where = f"“{job.filename}” (import #{job.id})"
    result = UndoResult()
    rows = db.session.execute(select(ImportChange.customer_id, ImportChange.field, ImportChange.old_value,
                                     ImportChange.new_value).where(ImportChange.job_id == job.id)
                              .order_by(ImportChange.id)).all()
    created = [cid for cid, key, _old, _new in rows if key is None]
    changed: dict[int, dict[str, tuple]] = defaultdict(dict)
    for cid, key, old, new in rows:
        if key is not None:
            changed[cid][key] = (old, new)
    # A customer's rows go when they are deleted or anonymized: the import's counts tell how many went.
    result.gone = max(0, job.created - len(created)) + max(0, job.updated - len(changed))
    total, done = len(created) + len(changed), 0
    for part in chunks(created):
        _delete_created(part, user, result)
        done += len(part)
        report(done, total)
    for part in chunks(sorted(changed)):
        _put_back_batch(part, changed, user, where, result)
        done += len(part)
        report(done, total)
    audit.record(user, "undo", None, detail=f"Undid {where}: {result.sentence()}")
    job.undone_at, job.undone_by = utcnow(), audit.actor_name(user)
    job.undo_result = json.dumps(result.summary(), separators=(",", ":"))
    db.session.flush()
    return result


def _listed(items: list, item: list) -> None:
    """Add to a result's list while it is shorter than LISTED."""
    if len(items) < LISTED:
        items.append(item)


def _delete_created(ids: list[int], user: User | None, result: UndoResult) -> None:
    """Move created customers without orders to Recently deleted; list those with orders.

    Through erasure.delete_customer, the one deletion path: the customers land in Recently deleted with their
    notes and address, so even an undo can be taken back for 30 days, the counts and follow codes follow, and
    the trail says who deleted them and when.
    """
    with_orders = set(db.session.scalars(select(Order.customer_id).where(Order.customer_id.in_(ids)).distinct()))
    for customer in db.session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)).all():
        if customer.id in with_orders:
            result.kept_count += 1
            _listed(result.kept, [customer.id, customer.display_name])
            continue
        erasure.delete_customer(customer, user)
        result.deleted += 1


def _put_back_batch(ids: list[int], changed: dict[int, dict[str, tuple]], user: User | None, where: str,
                    result: UndoResult) -> None:
    """Put back the values of a batch of updated customers (loaded in one query with address and membership)."""
    stmt = (select(Customer).where(Customer.id.in_(ids))
            .options(selectinload(Customer.address), selectinload(Customer.membership)))
    for customer in db.session.scalars(stmt):
        _put_back(customer, changed[customer.id], user, where, result)


def _groups(kept: dict[str, tuple]) -> list[tuple[str, ...]]:
    """The recorded fields in the units undo judges: each customer field alone, the address and the
    membership whole (the consent record goes with consent)."""
    keys = [key for key in kept if not key.endswith(CONSENT_RECORD) and key not in (NOTE, TAGS)]
    units = [tuple(k for k in keys if k in ADDRESS_KEYS), tuple(k for k in keys if k in MEMBERSHIP_KEYS)]
    singles = [(k,) for k in keys if k not in ADDRESS_KEYS and k not in MEMBERSHIP_KEYS]
    return [unit for unit in (*singles, *units) if unit]


def _put_back(customer: Customer, kept: dict[str, tuple], user: User | None, where: str,
              result: UndoResult) -> None:
    """Put back one customer's values that are still as the import left them; list the others."""
    now = writer.current_values(customer)
    values: dict[str, object] = {}
    labels = [IMPORT_ONLY[NOTE]] if NOTE in kept and _take_back_note(customer, kept[NOTE][1], user, where,
                                                                      result) else []
    if TAGS in kept and _take_back_tags(customer, kept[TAGS], user, where):
        labels.append(IMPORT_ONLY[TAGS])
    for unit in _groups(kept):
        if all(now[key] == from_text(key, kept[key][1]) for key in unit):
            values.update(_old_values(unit, kept, now))
        else:
            for key in unit:
                result.changed_count += 1
                _listed(result.changed, [customer.id, customer.display_name, fields.BY_KEY[key].label])
    if not values and not labels:
        return
    actor = writer.Actor.person(user)
    consents = {f.key: f for f in fields.CONSENTS if f.key in values}
    labels += writer.update(customer, {k: v for k, v in values.items() if k not in consents}, actor=actor,
                           action="undo")
    for key, spec in consents.items():  # each consent with the record it had: one writer call each
        consent = _consent(kept, key)
        labels += writer.update(customer, {key: values[key]}, actor=actor, consent=consent, action="undo")
        if consent.at is None:
            # Never recorded before the import: no record again (the writer dates every change it makes).
            setattr(customer, spec.recorded_at, None)
            setattr(customer, spec.recorded_method, None)
    audit.record(user, "undo", customer, detail=f"Put back from {where}: {', '.join(labels)}")
    result.customers += 1
    result.values += len(labels)


def _take_back_note(customer: Customer, body: str, user: User | None, where: str, result: UndoResult) -> bool:
    """Remove the note the import added, unless it was edited (or removed) since: then it is listed."""
    note = next((n for n in customer.notes if n.body == body and n.updated_at == n.created_at), None)
    if note is None:
        result.changed_count += 1
        _listed(result.changed, [customer.id, customer.display_name, IMPORT_ONLY[NOTE]])
        return False
    notes.delete_note(note)
    audit.record(user, "note", customer, old=body, detail=f"Private note removed: it came from {where}")
    return True


def _take_back_tags(customer: Customer, kept: tuple, user: User | None, where: str) -> bool:
    """Take off the tags the import added and put back those it took off (when overwriting); a tag removed
    or deleted since stays as it is now. Whether anything changed."""
    change = tags.imported.TagChange(*(tags.imported.read_cell(value or "") for value in kept))
    detail = f"Put back from {where}"
    changed = False
    for name in change.added():
        tag = tags.find(name)
        changed |= tag is not None and tags.remove(customer, tag, user, detail=detail, action="undo")
    for name in change.removed():
        tag = tags.find(name)
        changed |= tag is not None and tags.add(customer, tag, user, detail=detail, action="undo")
    return changed


def _old_values(unit: tuple[str, ...], kept: dict[str, tuple], now: dict[str, object]) -> dict[str, object]:
    """The values that put a unit back: a customer field's old value; the whole address or membership as it
    was (removed when the import added it)."""
    old = {key: from_text(key, kept[key][0]) for key in unit}
    if unit[0] in ADDRESS_KEYS:
        if "country" in kept and kept["country"][0] is None:  # the import gave them their first address
            return {key: None for key in ADDRESS_KEYS}
        return {key: old.get(key, now[key]) for key in ADDRESS_KEYS}
    if unit[0] in MEMBERSHIP_KEYS:
        if "membership_id" in kept and kept["membership_id"][0] is None:  # the import made the membership
            return {"membership_id": None}
        return {key: old.get(key, now[key]) for key in MEMBERSHIP_KEYS}
    return old


def _consent(kept: dict[str, tuple], key: str) -> writer.Consent:
    """The record of consent `key` that the import replaced: when and how it had been given or withdrawn."""
    record = kept.get(key + CONSENT_RECORD)
    at, method = json.loads(record[0]) if record and record[0] else (None, None)
    return writer.Consent(method=method or "import", at=datetime.fromisoformat(at) if at else None)
