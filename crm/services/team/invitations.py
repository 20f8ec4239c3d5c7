"""Invitations: a link valid for 7 days that lets one person make an account with the role they were given."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ...extensions import db
from ...models import Invitation, User
from .. import audit, mail, permissions
from ..accounts import find_user, hash_password
from . import clock

LIFETIME = timedelta(days=7)


class InvitationProblem(Exception):
    """An invitation can't be made or used; the message says why, for the person in front of it."""


def _hash(token: str) -> str:
    """The stored form of a link's token (random and long, so a plain sha256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_members(email: str) -> None:
    """An email that already has an account can't be invited or join again."""
    if find_user(email) is not None:
        raise InvitationProblem(_("%(email)s already has an account in this shop.", email=email))


def invite(by: User, email: str, role: str) -> tuple[Invitation, str]:
    """Invite the email as `role`; earlier invitations still open for it stop working. Returns the invitation
    and the link's token (kept only as a hash: this is the one time it exists in the clear)."""
    if role not in permissions.PRESETS:
        raise InvitationProblem(_("Choose one of the roles"))
    if role == "owner" and by.role != "owner":
        raise InvitationProblem(_("Only an owner can invite another owner"))
    _refuse_members(email)
    moment = clock.now()
    db.session.execute(update(Invitation).where(func.lower(Invitation.email) == email.lower(),
                                                Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
                       .values(revoked_at=moment))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(email=email, role=role, token_hash=_hash(token), created_at=moment,
                            expires_at=moment + LIFETIME, invited_by=by)
    db.session.add(invitation)
    audit.record(by, "invite", None, subject=email[:201], detail=f"Invited as {audit.english(permissions.role_label(role))}")
    db.session.flush()
    return invitation, token


def invitation_for(token: str) -> Invitation | None:
    """The invitation a link's token belongs to, or None for a token no invitation has."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))


def state(invitation: Invitation) -> str:
    """"pending", "used", "revoked" or "expired"."""
    if invitation.accepted_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= clock.now():
        return "expired"
    return "pending"


MESSAGES = {
    "used": _l("This invitation has already been used. Log in with the email it was sent to."),
    "revoked": _l("This invitation was withdrawn. Ask the shop's owner for a new one."),
    "expired": _l("This invitation has expired: links work for 7 days. Ask the shop's owner for a new one."),
}


def join(invitation: Invitation, name: str, password: str) -> User:
    """Make the invited person's account with the invitation's role, and use the invitation up."""
    current = state(invitation)
    if current != "pending":
        raise InvitationProblem(str(MESSAGES[current]))
    _refuse_members(invitation.email)
    user = User(email=invitation.email, name=name, password_hash=hash_password(password), role=invitation.role,
                permissions=permissions.stored(permissions.PRESETS[invitation.role]))
    db.session.add(user)
    invitation.accepted_at = clock.now()
    audit.record(user, "join", None, subject=invitation.email[:201],
                 detail=f"Joined as {audit.english(permissions.role_label(invitation.role))}")
    db.session.flush()
    return user


def revoke(by: User, invitation: Invitation) -> bool:
    """Withdraw an invitation that is still open; False when it was used, withdrawn or expired already."""
    if state(invitation) != "pending":
        return False
    invitation.revoked_at = clock.now()
    audit.record(by, "invite", None, subject=invitation.email[:201], detail="Invitation withdrawn")
    return True


def pending() -> list[Invitation]:
    """Invitations still open, newest first."""
    return list(db.session.scalars(select(Invitation).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > clock.now())
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def send_invitation(settings: mail.MailSettings, invitation: Invitation, link: str, shop_name: str) -> None:
    """Email the link to the invited address (MailError when there is no server or it refuses), in the
    language of the page that sends it."""
    inviter = invitation.invited_by.display_name if invitation.invited_by else _("The owner")
    text = (_("%(inviter)s invited you to join %(shop)s as %(role)s.", inviter=inviter, shop=shop_name,
              role=permissions.role_label(invitation.role)) + "\n\n"
            + _("Open this link to choose your password and join the team:") + f"\n{link}\n\n"
            + _("The link works once, for 7 days."))
    subject = _("Join %(shop)s", shop=shop_name)
    mail.send(settings, mail.build_message(settings, invitation.email, subject, text))
