"""The shop's team: inviting people (invitations.py) and managing the members' roles, permissions and
accounts (members.py). Every change is in the audit trail under the person who made it."""

from .invitations import (
    LIFETIME,
    MESSAGES,
    InvitationProblem,
    invitation_for,
    invite,
    join,
    pending,
    revoke,
    send_invitation,
    state,
)
from .members import (
    TeamRefused,
    deactivate,
    make_owner,
    members,
    reactivate,
    remove,
    set_permissions,
    set_role,
)

__all__ = ["LIFETIME", "MESSAGES", "InvitationProblem", "TeamRefused", "deactivate", "invitation_for", "invite",
           "join", "make_owner", "members", "pending", "reactivate", "remove", "revoke", "send_invitation",
           "set_permissions", "set_role", "state"]
