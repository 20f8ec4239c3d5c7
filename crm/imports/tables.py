"""What an import writes to each table, a batch at a time: new customers with their addresses, memberships
and trail events, then the changes to existing customers, each batch one executemany per statement.

Every value an update changes goes into the trail with its old and new value (as a hand edit's does, one event
per field) and into import_change as stored (with each customer created), so the import can be undone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, insert, select, text, update

from ..customers import fields
from ..extensions import db
from ..models import Address, AuditEvent, Customer, ImportChange, Membership
from ..services import notes, tags
from ..services.customers import refresh_search_fields
from ..services.tags import imported as imported_tags
from .batches import chunks
from .changes import as_text
from .matching import DeliveryAddress, stored_customers
from .plan import Change, NewCustomer
from .rules import NOTE, TAGS

if TYPE_CHECKING:
    from .writing import SearchIndex

CONSENT_METHOD = "import"
CUSTOMER_VALUES = ("first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn")
SEARCH_INPUTS = frozenset(("first_name", "last_name", "email", "company_name"))
ADDRESS_COLUMNS = ("street", "city", "state", "postcode", "country")
# import_change's row for the consent record an update replaced (when and how it had been given or withdrawn):
# the consent's key and this suffix.
CONSENT_RECORD = ":record"


def reserve_ids(count: int) -> list[int]:
    """Primary keys for `count` new customers, unused by anyone else (the write lock or the sequence)."""
    if not count:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence('customer', 'id')) FROM generate_series(1, :n)"), {"n": count})
        return [int(r[0]) for r in rows]
    first = int(connection.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()) + 1
    return list(range(first, first + count))


class _SearchFields:
    """The fields refresh_search_fields reads and sets, without building an ORM object per row."""

    __slots__ = ("first_name", "last_name", "email", "company_name", "search_text", "name_key")
    full_name = Customer.full_name

    def __init__(self, values: dict):
        """Take the names, email and company from a customer's values, and work out the search fields."""
        self.first_name = values.get("first_name") or ""
        self.last_name = values.get("last_name") or ""
        self.email = values.get("email")
        self.company_name = values.get("company_name")
        refresh_search_fields(self)


@dataclass(frozen=True)
class Trail(notes.Author):
    """Trail rows of one import: who ran it, when (`at`), the file they came from, and the import's id; as the
    author of the notes the import brings, it is a notes.Author."""

    job_id: int = 0
    region: str = ""  # the shop's country, for the trail's display of numbers

    def event(self, customer_id: int, subject: str, detail: str | None, field: str | None = None,
              old: str | None = None, new: str | None = None) -> dict:
        """One trail row for a created or updated customer (with `field`: one changed value, old -> new)."""
        return {"occurred_at": self.at, "user_id": self.user_id, "actor": self.actor, "action": "import",
                "customer_id": customer_id, "subject": subject[:201], "field": field, "old_value": old,
                "new_value": new, "detail": detail}

    def change(self, customer_id: int, field: str | None = None, old: str | None = None,
               new: str | None = None) -> dict:
        """One import_change row: a customer created (no field), or one stored value changed."""
        return {"job_id": self.job_id, "customer_id": customer_id, "field": field, "old_value": old,
                "new_value": new}

    def tags(self, changes: list) -> None:
        """Write the tags of a batch, (customer id, name, TagChange) each, with their "tag" events."""
        imported_tags.write(changes, self.user_id, self.actor, self.at, f"Tags from {self.where}")


def create(creates: list[NewCustomer], trail: Trail, index: SearchIndex) -> Iterator[int]:
    """Insert the new customers a batch at a time; yields how many each batch wrote."""
    ids = reserve_ids(len(creates))
    for part_ids, part in zip(chunks(ids), chunks(creates)):
        _create_batch(part_ids, part, trail, index)
        yield len(part)


def _create_batch(ids: list[int], part: list[NewCustomer], trail: Trail, index: SearchIndex) -> None:
    """One batch of new customers with their addresses, memberships and trail: one executemany each."""
    rows, address_rows, membership_rows, events, new_notes, new_tags = [], [], [], [], [], []
    made = [trail.change(cid) for cid in ids]
    for cid, new in zip(ids, part):
        search = _SearchFields(new.values)
        rows.append(_customer_row(cid, new, search, trail.at))
        subject = search.full_name or new.values.get("email") or f"Customer {cid}"
        if new.note:
            new_notes.append((cid, subject, new.note))
        if new.tags:
            new_tags.append((cid, subject, new.tags))
        if new.address:
            address_rows.append({"customer_id": cid, **_address_columns(new.address)})
        if new.membership:
            membership_rows.append({"customer_id": cid, "membership_id": new.membership.membership_id,
                                    "expires_on": new.membership.expires_on})
        events.append(trail.event(cid, subject, f"Created from {trail.where}"))
    db.session.execute(insert(Customer.__table__), rows)
    index.add_customers(ids)
    if address_rows:
        db.session.execute(insert(Address.__table__), address_rows)
        index.add_addresses([row["customer_id"] for row in address_rows])
    if membership_rows:
        db.session.execute(insert(Membership.__table__), membership_rows)
    db.session.execute(insert(AuditEvent.__table__), events)
    db.session.execute(insert(ImportChange.__table__), made)
    notes.add_imported_notes(new_notes, trail)
    trail.tags(new_tags)


def _customer_row(cid: int, new: NewCustomer, search: _SearchFields, now: datetime) -> dict:
    """The customer table's row for a new customer: the file's values, no figures yet, source "import"."""
    values = {key: new.values.get(key) for key in CUSTOMER_VALUES}
    values["first_name"] = values["first_name"] or ""
    values["last_name"] = values["last_name"] or ""
    for field in fields.CONSENTS:
        given = bool(new.values.get(field.key))
        values.update({field.column: given, field.recorded_at: now if given else None,
                       field.recorded_method: CONSENT_METHOD if given else None})
    return {**values, "id": cid, "password_hash": None, "source": "import",
            "created_at": now, "updated_at": now, "order_count": 0, "total_spent": 0,
            "first_order_at": None, "last_order_at": None, "segment": "prospect",
            "search_text": search.search_text, "name_key": search.name_key,
            "submission_key": None, "anonymized_at": None}


def _address_columns(address: DeliveryAddress) -> dict:
    """An address as the address table's columns."""
    return {name: getattr(address, name) for name in ADDRESS_COLUMNS}


def update_existing(changes: list[Change], trail: Trail, index: SearchIndex) -> Iterator[int]:
    """Apply the changes to existing customers a batch at a time, with their trail; yields each batch's size."""
    for part in chunks(changes):
        kept = _changes_kept(part, trail)  # before the update: the consent records it replaces
        _update_customers(part, trail.at, index)
        _update_addresses(part, index)
        _update_memberships(part)
        db.session.execute(insert(AuditEvent.__table__), list(_update_events(part, trail)))
        if kept:  # an update that only adds a note changes no stored value
            db.session.execute(insert(ImportChange.__table__), kept)
        notes.add_imported_notes([(c.customer_id, c.name or f"Customer {c.customer_id}", c.note)
                                  for c in part if c.note], trail)
        trail.tags([(c.customer_id, c.name or f"Customer {c.customer_id}", c.tags) for c in part if c.tags])
        yield len(part)


def _update_events(part: list[Change], trail: Trail) -> Iterator[dict]:
    """Each updated customer's trail: which fields the import changed, then each value's old and new."""
    for c in part:
        subject = c.name or f"Customer {c.customer_id}"
        yield trail.event(c.customer_id, subject, f"Updated from {trail.where}: {', '.join(c.labels)}")
        for change in c.fields:
            field = fields.BY_KEY[change.key]
            yield trail.event(c.customer_id, subject, None, field.label, field.show(change.old, trail.region),
                              field.show(change.new, trail.region))


def _changes_kept(part: list[Change], trail: Trail) -> list[dict]:
    """import_change rows for one batch of updates: each value as stored before and after, and for a consent
    change the record it replaces (read in one query), so an undo puts back exactly what was there."""
    rows = [trail.change(c.customer_id, f.key, as_text(f.key, f.old), as_text(f.key, f.new))
            for c in part for f in c.fields]
    rows += [trail.change(c.customer_id, NOTE, None, c.note.strip()) for c in part if c.note]  # a note added
    # The tags before and after, so an undo takes back what the import added (and gives back what it took off).
    rows += [trail.change(c.customer_id, TAGS, tags.shown(c.tags.before), tags.shown(c.tags.after))
             for c in part if c.tags]
    now = json.dumps([trail.at.isoformat(), CONSENT_METHOD])
    for field in fields.CONSENTS:
        consented = [c.customer_id for c in part if field.key in c.values]
        if not consented:
            continue
        records = db.session.execute(select(Customer.id, getattr(Customer, field.recorded_at),
                                            getattr(Customer, field.recorded_method)).where(Customer.id.in_(consented)))
        rows += [trail.change(cid, field.key + CONSENT_RECORD, json.dumps([at.isoformat() if at else None, method]),
                              now) for cid, at, method in records]
    return rows


def _bound(customer_id: int, values: dict) -> dict:
    """One row of an executemany UPDATE: the key as `cid`, each new value as `v_<column>`."""
    return {"cid": customer_id, **{f"v_{k}": v for k, v in values.items()}}


def _update_grouped(table, key: str, groups: dict[tuple, list[dict]]) -> None:
    """One executemany UPDATE per set of changed columns (rows made by _bound, `key` matched to `cid`)."""
    for columns, rows in groups.items():
        stmt = (update(table).where(table.c[key] == bindparam("cid"))
                .values({column: bindparam(f"v_{column}") for column in columns}))
        db.session.execute(stmt, rows)


def _having(model, customer_ids: list[int]) -> set[int]:
    """Which of these customers have a row in `model`'s table (an address, a membership)."""
    return set(db.session.scalars(select(model.customer_id).where(model.customer_id.in_(customer_ids))))


def _update_customers(part: list[Change], now: datetime, index: SearchIndex) -> None:
    """The customer columns of one batch of changes, grouped by which columns change."""
    renamed = [c.customer_id for c in part if not SEARCH_INPUTS.isdisjoint(c.values)]
    stored = stored_customers(renamed)
    index.drop_customers(renamed)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for change in part:
        values = dict(change.values)
        for field in fields.CONSENTS:
            if field.key in values:
                values[field.recorded_at] = now
                values[field.recorded_method] = CONSENT_METHOD
        if not SEARCH_INPUTS.isdisjoint(change.values):
            search = _SearchFields({**stored[change.customer_id].values, **change.values})
            values["search_text"], values["name_key"] = search.search_text, search.name_key
        if values:
            values["updated_at"] = now
            groups[tuple(sorted(values))].append(_bound(change.customer_id, values))
    _update_grouped(Customer.__table__, "id", groups)
    index.add_customers(renamed)


def _update_addresses(part: list[Change], index: SearchIndex) -> None:
    """The delivery addresses of one batch of changes: replaced where there is one, added where not."""
    moved = [c for c in part if c.address]
    if not moved:
        return
    having = _having(Address, [c.customer_id for c in moved])
    updates = [c for c in moved if c.customer_id in having]
    index.drop_addresses([c.customer_id for c in updates])
    if updates:
        _update_grouped(Address.__table__, "customer_id",
                        {ADDRESS_COLUMNS: [_bound(c.customer_id, _address_columns(c.address)) for c in updates]})
    inserts = [{"customer_id": c.customer_id, **_address_columns(c.address)} for c in moved
               if c.customer_id not in having]
    if inserts:
        db.session.execute(insert(Address.__table__), inserts)
    index.add_addresses([c.customer_id for c in moved])


def _update_memberships(part: list[Change]) -> None:
    """The memberships of one batch of changes: changed columns where there is one, added where not."""
    joined = [c for c in part if c.membership]
    if not joined:
        return
    having = _having(Membership, [c.customer_id for c in joined])
    groups: dict[tuple, list[dict]] = defaultdict(list)
    inserts = []
    for change in joined:
        if change.customer_id in having:
            columns = change.membership.columns()
            groups[tuple(sorted(columns))].append(_bound(change.customer_id, columns))
        else:
            inserts.append({"customer_id": change.customer_id, "membership_id": change.membership.membership_id,
                            "expires_on": change.membership.expires_on})
    _update_grouped(Membership.__table__, "customer_id", groups)
    if inserts:
        db.session.execute(insert(Membership.__table__), inserts)
