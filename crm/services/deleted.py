"""Recently deleted: a deleted customer waits 30 days in deleted_customer, whole, to be restored; then purge
removes them for good.

Deleting takes the customer's rows out of customer, address, membership, note and customer_tag (taking them
off each tag's count), so the count triggers take
them off every kept count, and no list, count, search, export, duplicate check or match can see them. The
rows go into `data` column by column (read from the models, so a new column is kept without a change here);
restoring puts them back and the triggers count them again. Their trail events lose their link to the customer
with the row; `data` keeps the events' ids to link them again on restore and to clear their values on purge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Date, DateTime, Select, TypeDecorator, delete, insert, inspect, or_, select, update

from ..extensions import db
from ..models import (
    Address,
    AuditEvent,
    Customer,
    CustomerTag,
    DeletedCustomer,
    Membership,
    Note,
    Tag,
    User,
    utcnow,
)
from . import audit, profiles, serial

KEPT_FOR = timedelta(days=30)
PARTS = {"address": Address, "membership": Membership}
# Columns that tie a row to the customer it belonged to: restore sets them again.
LINKS = ("id", "customer_id")


class CannotRestore(ValueError):
    """A restore a unique index forbids: says why and what to do; `other` is the customer in the way."""

    def __init__(self, message: str, other: Customer):
        super().__init__(message)
        self.other = other


@dataclass
class Restored:
    """The customer back in the list, and what the owner should know (another customer shares a number)."""

    customer: Customer
    warnings: list[str] = field(default_factory=list)


def _values(row, skip: tuple[str, ...] = ()) -> dict[str, object]:
    """Every column of a row as JSON values (dates and times as ISO 8601 text)."""
    values = {}
    for column in inspect(row).mapper.column_attrs:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


def _row(model, values: dict[str, object], **links):
    """A new row of the model from stored values; columns the model no longer has are left out."""
    columns = {column.key: column for column in inspect(model).column_attrs}
    kwargs = {}
    for key, value in values.items():
        if key not in columns:
            continue
        kind = columns[key].columns[0].type
        kind = kind.impl if isinstance(kind, TypeDecorator) else kind
        if isinstance(value, str) and isinstance(kind, DateTime | Date):
            value = (datetime if isinstance(kind, DateTime) else date).fromisoformat(value)
        kwargs[key] = value
    return model(**kwargs, **links)


def snapshot(customer: Customer) -> dict:
    """Everything needed to put the customer back: their columns, address, membership, notes, tags (by id, so a
    renamed tag comes back under its new name), trail events."""
    events = db.session.scalars(select(AuditEvent.id).where(AuditEvent.customer_id == customer.id)
                                .order_by(AuditEvent.id)).all()
    return {
        "customer": _values(customer),
        **{part: _values(row, LINKS) if (row := getattr(customer, part)) is not None else None for part in PARTS},
        "notes": [_values(note, LINKS) for note in customer.notes],
        "tags": list(db.session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer.id)
                                        .order_by(CustomerTag.tag_id))),
        "events": list(events),
    }


def move_to_bin(customer: Customer, user: User | None) -> DeletedCustomer:
    """Take the customer out of the shop into Recently deleted (the caller has recorded the deletion)."""
    serial.lock_segment_counts()
    db.session.flush()  # the trail's delete event gets its id, to be kept with the others
    entry = DeletedCustomer(customer_id=customer.id, name=customer.display_name, email=customer.email,
                            phone=customer.phone or customer.whatsapp, deleted_at=utcnow(), user=user,
                            deleted_by=audit.actor_name(user), data=snapshot(customer))
    db.session.add(entry)
    take_tags(customer)
    db.session.delete(customer)
    db.session.flush()
    return entry


def take_tags(customer: Customer) -> list[int]:
    """Take every tag off a customer who leaves the list (to Recently deleted, or anonymized), keeping the
    tags' counts right; returns the tags' ids. The caller records what happened to the customer."""
    ids = list(db.session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer.id)))
    if ids:
        db.session.execute(delete(CustomerTag.__table__).where(CustomerTag.__table__.c.customer_id == customer.id))
        db.session.execute(update(Tag).where(Tag.id.in_(ids)).values(customers=Tag.customers - 1))
        db.session.expire(customer, ["tags"])
    return ids


def _give_tags(customer: Customer, tag_ids: list[int]) -> None:
    """Put back a restored customer's tags that the shop still has (a deleted tag stays deleted)."""
    ids = list(db.session.scalars(select(Tag.id).where(Tag.id.in_(tag_ids)))) if tag_ids else []
    if ids:
        db.session.execute(insert(CustomerTag.__table__), [{"customer_id": customer.id, "tag_id": i} for i in ids])
        db.session.execute(update(Tag).where(Tag.id.in_(ids)).values(customers=Tag.customers + 1))


def retag(old_id: int, new_id: int | None) -> None:
    """A tag merged into another (new_id) or deleted (None): the customers waiting in Recently deleted hold
    the other tag instead, or lose it, so a restore gives back what the shop's list has now."""
    for entry in db.session.scalars(select(DeletedCustomer)).all():
        held = entry.data.get("tags") or []
        if old_id not in held:
            continue
        kept = [i for i in held if i != old_id]
        if new_id is not None and new_id not in kept:
            kept.append(new_id)
        entry.data = {**entry.data, "tags": sorted(kept)}


def purge_on(entry: DeletedCustomer) -> datetime:
    """When the customer is removed for good (at the first purge run from then on)."""
    return entry.deleted_at + KEPT_FOR


def listing() -> Select:
    """Recently deleted, the latest deletion first."""
    return select(DeletedCustomer).order_by(DeletedCustomer.deleted_at.desc(), DeletedCustomer.id.desc())


def refusal(entry: DeletedCustomer) -> CannotRestore | None:
    """A customer who now has the stored email or membership ID (each held by one customer only)."""
    name, stored, membership = entry.name, entry.data["customer"], entry.data.get("membership")
    if stored.get("email"):
        other = profiles.find_by_email(stored["email"])
        if other is not None:
            return CannotRestore(_(
                "%(name)s can't be restored: another customer, %(other)s, now has the email %(email)s. Change or "
                "remove that customer's email (or delete them if they are the same person), then restore %(name)s "
                "again.", name=name, other=other.display_name, email=stored["email"]), other)
    if membership and membership.get("membership_id"):
        other = db.session.scalar(select(Customer).join(Membership)
                                  .where(Membership.membership_id == membership["membership_id"]))
        if other is not None:
            return CannotRestore(_(
                "%(name)s can't be restored: another customer, %(other)s, now has the membership ID %(id)s. Give "
                "that customer another ID, then restore %(name)s again.", name=name, other=other.display_name,
                id=membership["membership_id"]), other)
    return None


def _shared_numbers(customer: Customer) -> list[str]:
    """Warnings for numbers another customer has now (allowed: families and shops share numbers)."""
    warnings = []
    for whatsapp, number in ((False, customer.phone), (True, customer.whatsapp)):
        if not number:
            continue
        others = db.session.scalars(select(Customer).where(
            Customer.id != customer.id, or_(Customer.phone == number, Customer.whatsapp == number))
            .order_by(Customer.id).limit(3)).all()
        if not others:
            continue
        names, name = ", ".join(other.display_name for other in others), customer.display_name
        warnings.append(_("Another customer now has %(name)s's WhatsApp number: %(others)s. Check whether they are "
                          "the same person.", name=name, others=names) if whatsapp else
                        _("Another customer now has %(name)s's contact number: %(others)s. Check whether they are "
                          "the same person.", name=name, others=names))
    return warnings


def _note(values: dict) -> Note:
    """A stored note again; its author only while their account is there."""
    note = _row(Note, values)
    if note.author_id is not None and db.session.get(User, note.author_id) is None:
        note.author_id = None
    return note


def restore(entry: DeletedCustomer, user: User | None) -> Restored:
    """Put the customer back with everything they had (under their old id while it is free) and record it.

    Raises CannotRestore when another customer now has their email or membership ID."""
    data = entry.data
    stored = data["customer"]
    clash = refusal(entry)
    if clash is not None:
        raise clash
    serial.lock_segment_counts()
    customer = _row(Customer, stored)
    if db.session.get(Customer, stored["id"]) is not None:
        customer.id = None  # the id went to someone else (SQLite hands out the highest id again)
    if customer.submission_key and db.session.scalar(
            select(Customer.id).where(Customer.submission_key == customer.submission_key)):
        customer.submission_key = None
    for part, model in PARTS.items():
        if data.get(part):
            setattr(customer, part, _row(model, data[part]))
    customer.notes = [_note(values) for values in data.get("notes", [])]
    db.session.add(customer)
    db.session.flush()
    _give_tags(customer, data.get("tags") or [])
    if data.get("events"):
        db.session.execute(update(AuditEvent).where(AuditEvent.id.in_(data["events"]))
                           .values(customer_id=customer.id))
    audit.record(user, "restore", customer,
                 detail="Back from Recently deleted with their address, membership and notes")
    db.session.delete(entry)
    db.session.flush()
    return Restored(customer, _shared_numbers(customer))


def due(now: datetime | None = None, *, everything: bool = False) -> Select:
    """The customers a purge now removes: deleted 30 days ago or longer (or all of them)."""
    stmt = select(DeletedCustomer).order_by(DeletedCustomer.deleted_at, DeletedCustomer.id)
    return stmt if everything else stmt.where(DeletedCustomer.deleted_at <= (now or utcnow()) - KEPT_FOR)


def purge(now: datetime | None = None, *, everything: bool = False) -> list[str]:
    """Remove for good the customers deleted 30 days ago or longer (all of them with `everything`); their
    trail keeps who did what and when, not the values. Returns their names."""
    now = now or utcnow()
    names = []
    for entry in db.session.scalars(due(now, everything=everything)).all():
        audit.scrub(AuditEvent.id.in_(entry.data.get("events") or [-1]), entry.name)
        days = (now - entry.deleted_at).days
        audit.record(None, "purge", None, subject=entry.name,
                     detail=f"Removed for good from Recently deleted, {days} day{'s' * (days != 1)} after "
                            "it was deleted")
        db.session.delete(entry)
        names.append(entry.name)
    db.session.flush()
    return names
