"""The audit trail: who did what to which customer and when, kept field by field for edits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update

from ..extensions import db
from ..models import AuditEvent, Customer, User, utcnow


def actor_name(user: User | None) -> str:
    """How a person is named in the trail (their email; the trail keeps it if the account goes)."""
    return user.email if user is not None else "System"


def record(user: User | None, action: str, customer: Customer | None, *, field: str | None = None,
           old: str | None = None, new: str | None = None, detail: str | None = None,
           actor: str | None = None, subject: str | None = None) -> AuditEvent:
    """Add one event to the trail in the current transaction; `actor` names a non-person (an API token),
    `subject` the customer of an event without one (a customer removed for good)."""
    event = AuditEvent(occurred_at=utcnow(), user=user, actor=actor or actor_name(user), action=action,
                       customer_id=customer.id if customer is not None else None,
                       subject=customer.display_name if customer is not None else subject or "",
                       field=field, old_value=old, new_value=new, detail=detail)
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


ACTION_LABELS = {"create": "Created", "edit": "Edited", "delete": "Deleted", "restore": "Restored",
                 "purge": "Removed for good", "anonymize": "Anonymized",
                 "export": "Exported", "import": "Imported", "order": "Order", "undo": "Import undone",
                 "note": "Note", "sign-in": "Signed in", "sign-in-failed": "Sign-in failed", "sign-out": "Signed out",
                 "password": "Password", "two-step": "Two-step verification", "invite": "Invited",
                 "join": "Joined the team", "role": "Role changed", "member": "Member", "settings": "Settings",
                 "token": "API token", "tag": "Tags", "bulk": "Bulk action", "tags": "Tag list",
                 "view": "Saved view"}


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
