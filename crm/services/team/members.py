"""The members of the shop's team: their roles and permissions, deactivating and removing them.

Two rules hold whatever is asked: the shop always has an active owner (the last one can't be demoted,
deactivated or removed), and only an owner can make an owner or change one. Every change ends the member's
sign-ins at once, so nothing they had open carries on under the old permissions; past actions keep their name
in the trail, which copies it as text.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import User
from .. import audit, permissions, sessions
from . import clock


class TeamRefused(Exception):
    """A change to the team that the rules above rule out; the message says why (in the page's language)."""


def members() -> list[User]:
    """Everyone with an account: active members first, then by name."""
    return list(db.session.scalars(select(User).order_by(User.deactivated_at.is_not(None),
                                                         func.lower(User.name), func.lower(User.email))))


def _active_owners() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "owner", User.deactivated_at.is_(None))) or 0


def _check(by: User | None, member: User, *, new_role: str | None = None, itself: bool = False) -> None:
    """Refuse what the team's rules don't allow (see the module's docstring); `by` None is the server's
    command line, which may act on anyone but must leave an active owner too."""
    if by is not None and member.id == by.id and not itself:
        raise TeamRefused(_("You can't do this to your own account."))
    if by is not None and by.role != "owner" and (member.role == "owner" or new_role == "owner"):
        raise TeamRefused(_("Only an owner can make an owner or change one."))
    losing_owner = member.role == "owner" and member.deactivated_at is None and new_role != "owner"
    if losing_owner and _active_owners() <= 1:
        raise TeamRefused(_("%(name)s is the shop's only owner: make someone else an owner first.",
                            name=member.display_name))


def _ended(member: User, by: User | None, keep: str | None) -> None:
    """End the member's sign-ins (all of them; for the person acting on themselves, all but this one)."""
    sessions.end_all(member, keep=keep if by is not None and member.id == by.id else None)


def _subject(member: User) -> str:
    return member.email[:201]


def set_role(by: User, member: User, role: str, *, keep: str | None = None) -> bool:
    """Give the member a role and its preset permissions; False when nothing changed."""
    if role not in permissions.PRESETS:
        raise TeamRefused(_("Choose one of the roles."))
    if role == member.role and permissions.is_preset(member):
        return False
    # An owner may step down themselves while another owner remains; nobody may promote themselves.
    _check(by, member, new_role=role, itself=by.role == "owner")
    old = permissions.role_label(member.role)
    member.role = role
    member.permissions = permissions.stored(permissions.PRESETS[role])
    audit.record(by, "role", None, subject=_subject(member), field="Role", old=old,
                 new=permissions.role_label(role))
    _ended(member, by, keep)
    return True


def set_permissions(by: User, member: User, keys: Iterable[str]) -> bool:
    """Tick the member's permissions one by one (not an owner's: owners have them all); False when unchanged."""
    keys = set(keys) & permissions.ALL
    if member.role == "owner":
        raise TeamRefused(_("Owners have every permission: change the role first."))
    _check(by, member)
    reason = permissions.problem(keys)
    if reason:
        raise TeamRefused(reason)
    before = permissions.granted(member)
    if keys == before:
        return False
    member.permissions = permissions.stored(keys)
    change = [f"added {audit.english(permissions.label(k))}" for k in permissions.stored(keys - before).split()]
    change += [f"removed {audit.english(permissions.label(k))}" for k in permissions.stored(before - keys).split()]
    audit.record(by, "role", None, subject=_subject(member), field="Permissions", detail="; ".join(change))
    _ended(member, by, None)
    return True


def deactivate(by: User | None, member: User) -> bool:
    """Stop the member signing in and end their sign-ins now (`by` None: on the server's command line); False
    when they were deactivated already."""
    if member.deactivated_at is not None:
        return False
    _check(by, member, new_role="deactivated")
    member.deactivated_at = clock.now()
    audit.record(by, "member", None, subject=_subject(member), detail="Deactivated",
                 actor=None if by is not None else "Command line")
    _ended(member, by, None)
    return True


def reactivate(by: User, member: User) -> bool:
    """Let a deactivated member sign in again; False when they were active."""
    if member.deactivated_at is None:
        return False
    _check(by, member, new_role=member.role)
    member.deactivated_at = None
    audit.record(by, "member", None, subject=_subject(member), detail="Reactivated")
    return True


def remove(by: User, member: User) -> None:
    """Delete the member's account. The trail keeps their name on what they did (it is copied as text); their
    notes stay, without an author."""
    _check(by, member, new_role="removed")
    audit.record(by, "member", None, subject=_subject(member), detail="Removed from the team")
    _ended(member, by, None)
    db.session.delete(member)
    db.session.flush()


def make_owner(by: User, member: User, *, keep: str | None = None) -> None:
    """Hand ownership to another active member: they become an owner, and the owner handing it over a
    manager (an owner can step down on their own later instead, by changing their role)."""
    if by.role != "owner":
        raise TeamRefused(_("Only an owner can hand over ownership."))
    if member.id == by.id or member.role == "owner":
        raise TeamRefused(_("%(name)s is an owner already.", name=member.display_name))
    if member.deactivated_at is not None:
        raise TeamRefused(_("Reactivate %(name)s first.", name=member.display_name))
    set_role(by, member, "owner")
    set_role(by, by, "manager", keep=keep)
