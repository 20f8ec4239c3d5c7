"""The audit trail: who did what to which customer and when, kept field by field for edits."""

from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from ..extensions import db
from ..models import AuditEvent, Customer, User, utcnow


def actor_name(user: User | None) -> str:
    """How a person is named in the trail (their email; the trail keeps it if the account goes)."""
    return user.email if user is not None else "System"


def english(value):
    """A value as the trail keeps it: a translatable label (lazy_gettext) in English, whatever language the
    page speaks (the trail's pages translate what they show); anything else as it is."""
    if not isinstance(value, LazyString):
        return value
    with force_locale("en"):
        return str(value)


def record(user: User | None, action: str, customer: Customer | None, *, field: str | None = None,
           old: str | None = None, new: str | None = None, detail: str | None = None,
           actor: str | None = None, subject: str | None = None) -> AuditEvent:
    """Add one event to the trail in the current transaction; `actor` names a non-person (an API token),
    `subject` the customer of an event without one (a customer removed for good)."""
    event = AuditEvent(occurred_at=utcnow(), user=user, actor=actor or actor_name(user), action=action,
                       customer_id=customer.id if customer is not None else None,
                       subject=customer.display_name if customer is not None else english(subject) or "",
                       field=english(field), old_value=english(old), new_value=english(new),
                       detail=english(detail))
    db.session.add(event)
    return event


# Details that hold no personal value: what happened to orders and to the customer as a whole.
KEPT_DETAILS = ("order", "delete", "restore")


def scrub(events, subject: str) -> None:
    """The events (a condition on AuditEvent) keep what happened, who and when, not the personal values:
    for a customer whose data is erased or removed for good. `subject` is the name they are listed under."""
    db.session.execute(update(AuditEvent).where(events).values(subject=subject, old_value=None, new_value=None))
    db.session.execute(update(AuditEvent).where(events, AuditEvent.action.not_in(KEPT_DETAILS))
                       .values(detail=None))


def for_customer(customer_id: int) -> Select:
    """A customer's events, newest first."""
    return (select(AuditEvent).where(AuditEvent.customer_id == customer_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()))


# How the trail's pages name each action (translated when shown; the stored action is its key).
ACTION_LABELS = {"create": _l("Created"), "edit": _l("Edited"), "delete": _l("Deleted"), "restore": _l("Restored"),
                 "purge": _l("Removed for good"), "anonymize": _l("Anonymized"), "export": _l("Exported"),
                 "import": _l("Imported"), "order": _l("Order"), "undo": _l("Import undone"), "note": _l("Note"),
                 "sign-in": _l("Signed in"), "sign-in-failed": _l("Sign-in failed"), "sign-out": _l("Signed out"),
                 "password": _l("Password"), "two-step": _l("Two-step verification"), "invite": _l("Invited"),
                 "join": _l("Joined the team"), "role": _l("Role changed"), "member": _l("Member"),
                 "settings": _l("Settings"), "token": _l("API token"), "tag": _l("Tags"), "bulk": _l("Bulk action"),
                 "tags": _l("Tag list"), "view": _l("Saved view")}


def search(action: str | None = None, actor: str | None = None, start: datetime | None = None,
           end: datetime | None = None) -> Select:
    """The shop-wide trail, newest first, narrowed by action, person and a [start, end) time range."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if start is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.occurred_at < end)
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def actors() -> list[str]:
    """Everyone (and every API token) that appears in the trail, for the person filter."""
    return list(db.session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))
