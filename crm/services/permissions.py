"""What a member of the shop's team may do: the permissions, the roles that preset them, and the check.

Every dashboard view declares the permission it needs with `needs(...)` (or `signed_in` when any member may
use it); the login gate (crm/web.py) refuses a view that declares nothing, so a new route can't be left open
by forgetting. The order API's bearer tokens and the public pages are outside this: they have no member.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import User


@dataclass(frozen=True)
class Permission:
    """One thing a member may be allowed to do; `label` is how the Team page and the 403 page name it
    (translatable: the trail keeps it in English, through audit.english)."""

    key: str
    label: str


PERMISSIONS = (
    Permission("view", _l("View customers")),
    Permission("edit", _l("Add and edit customers and notes")),
    Permission("orders", _l("Add orders by hand")),
    Permission("export", _l("Export customers")),
    Permission("import", _l("Import customers")),
    Permission("delete", _l("Delete and anonymize customers")),
    Permission("insights", _l("Insights")),
    Permission("audit", _l("Audit trail")),
    Permission("settings", _l("Settings")),
    Permission("tokens", _l("API tokens")),
    Permission("team", _l("Team")),
)
BY_KEY = {permission.key: permission for permission in PERMISSIONS}
ALL = frozenset(BY_KEY)

# The roles, in the order the Team page offers them, each with the permissions it starts from.
PRESETS: dict[str, frozenset[str]] = {
    "owner": ALL,
    "manager": ALL - {"team", "tokens"},
    "staff": frozenset({"view", "edit", "orders", "insights"}),
    "read_only": frozenset({"view", "insights"}),
}
ROLE_LABELS = {"owner": _l("Owner"), "manager": _l("Manager"), "staff": _l("Staff"), "read_only": _l("Read only")}
# API tokens are a section of the Settings page: a member who may manage them must be able to open it.
IMPLIED = {"tokens": "settings"}

# What a view declares when any signed-in member may use it (logging out, the start page).
SIGNED_IN = "signed-in"


def stored(keys: Iterable[str]) -> str:
    """Permissions as the user row keeps them: known keys, in the declared order, space-separated."""
    wanted = set(keys)
    return " ".join(p.key for p in PERMISSIONS if p.key in wanted)


def granted(user: User | None) -> frozenset[str]:
    """What the user may do: everything for an owner (so the shop always has someone who can), else what is
    stored on their row; nothing for nobody or a deactivated account."""
    if user is None or user.deactivated_at is not None:
        return frozenset()
    if user.role == "owner":
        return ALL
    return frozenset(user.permissions.split()) & ALL


def can(user: User | None, key: str) -> bool:
    """Whether the user has this permission (any signed-in member has SIGNED_IN)."""
    if key == SIGNED_IN:
        return user is not None and user.deactivated_at is None
    return key in granted(user)


def problem(keys: Iterable[str]) -> str | None:
    """Why a set of ticked permissions can't be saved, or None."""
    keys = set(keys)
    for key, needed in IMPLIED.items():
        if key in keys and needed not in keys:
            return _("“%(permission)s” are managed on the Settings page: tick “%(needed)s” too",
                     permission=BY_KEY[key].label, needed=BY_KEY[needed].label)
    return None


def label(key: str) -> str:
    """How a permission is named to people (translatable)."""
    return BY_KEY[key].label if key in BY_KEY else _l("Signed in")


def role_label(role: str) -> str:
    """How a role is named to people (translatable)."""
    return ROLE_LABELS.get(role, role)


def is_preset(user: User) -> bool:
    """Whether the member's permissions are exactly their role's (else the Team page says "custom")."""
    return user.role == "owner" or frozenset(user.permissions.split()) == PRESETS.get(user.role)


# ---- declaring what a view needs ---------------------------------------------------------------------

ATTRIBUTE = "crm_permission"


def needs(key: str) -> Callable:
    """Mark a view as needing the permission `key`; the login gate checks it before the view runs."""
    if key not in BY_KEY and key != SIGNED_IN:
        raise ValueError(f"unknown permission {key!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, ATTRIBUTE, key)
        return view

    return mark


signed_in = needs(SIGNED_IN)


def declared(view: Callable | None) -> str | None:
    """The permission a view declared, or None when it declared none."""
    return getattr(view, ATTRIBUTE, None)
