"""Team views: Settings → Team (members, invitations, the roles' permissions), one member's page, and the
invitation page where an invited person joins."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db
from ..models import Invitation, User
from ..services import mail, permissions, sessions, team
from ..services.permissions import needs
from ..services.shop import get_settings
from ..web import saved_then_back
from .forms import InviteForm, JoinForm, RoleForm

bp = Blueprint("team", __name__)


def _index_page(status: int = 200):
    """The Team page."""
    return render_template("team/index.html", members=team.members(), invitations=team.pending(),
                           permissions=permissions.PERMISSIONS, presets=permissions.PRESETS,
                           role_label=permissions.role_label, is_preset=permissions.is_preset,
                           shop=get_settings()), status


@bp.get("/settings/team")
@needs("team")
def index():
    """Members with their role, last sign-in and two-step status, open invitations, and what each role may do."""
    return _index_page()


def _invite_page(form: InviteForm, status: int = 200, **shown):
    """The invitation form (and, after sending without mail, the link to pass on by hand)."""
    shown = {"link": None, "invitation": None, "mail_failed": False, **shown}
    headers = {"Cache-Control": "no-store"} if shown["link"] else {}
    return render_template("team/invite.html", form=form, **shown), status, headers


@bp.route("/settings/team/invite", methods=["GET", "POST"])
@needs("team")
def invite():
    """Invite someone by email: the link is mailed, or shown once to copy when no mail server is set up."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _invite_page(form, 422 if request.method == "POST" else 200)
    try:
        invitation, token = team.invite(current_user, form.email.data, form.role.data)
    except team.InvitationProblem as exc:
        form.email.errors = [str(exc)]
        return _invite_page(form, 422)
    db.session.commit()
    link = url_for("team.join", invite_token=token, _external=True)
    settings = mail.MailSettings.from_config(current_app.config)
    if settings.server:
        try:
            team.send_invitation(settings, invitation, link, get_settings().shop_name)
        except mail.MailError as exc:
            current_app.logger.error("Could not send the invitation to %s: %s", invitation.email, exc)
            return _invite_page(InviteForm(formdata=None), link=link, invitation=invitation, mail_failed=True)
        flash(_("Invitation sent to %(email)s. The link works for 7 days.", email=invitation.email), "success")
        return redirect(url_for("team.index"))
    return _invite_page(InviteForm(formdata=None), link=link, invitation=invitation, mail_failed=False)


@bp.post("/settings/team/invitations/<int:invitation_id>/revoke")
@needs("team")
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation: its link stops working."""
    invitation = db.get_or_404(Invitation, invitation_id)
    return saved_then_back(team.revoke(current_user, invitation),
                           _("Invitation to %(email)s withdrawn. Its link no longer works.", email=invitation.email),
                           url_for("team.index"))


def _member_page(member: User, status: int = 200, error: str | None = None, ticked=None, role: str | None = None):
    """One member's role, permissions and account buttons (with a refusal's message when there is one, and
    what was chosen or ticked kept)."""
    return render_template("team/member.html", member=member,
                           role_form=RoleForm(formdata=None, role=role or member.role),
                           permissions=permissions.PERMISSIONS, role_label=permissions.role_label,
                           ticked=permissions.granted(member) if ticked is None else ticked,
                           is_preset=permissions.is_preset(member), two_step=member.two_step_on,
                           error=error), status


@bp.get("/settings/team/members/<int:member_id>")
@needs("team")
def member(member_id: int):
    """One member's page."""
    return _member_page(db.get_or_404(User, member_id))


def _change(member_id: int, change, done, role: str | None = None):
    """Run one change to a member; a refusal shows their page with the reason (409) and changes nothing.

    `done(name)` says what was done, with the member's name."""
    target = db.get_or_404(User, member_id)
    try:
        changed = change(target)
    except team.TeamRefused as exc:
        db.session.rollback()
        return _member_page(db.get_or_404(User, member_id), 409, str(exc), role=role)
    db.session.commit()
    if changed is not False:
        flash(done(target.display_name), "success")
    if not permissions.can(current_user, "team"):  # the acting owner handed the shop over or stepped down
        return redirect(url_for("index"))
    return redirect(url_for("team.member", member_id=member_id))


@bp.post("/settings/team/members/<int:member_id>/role")
@needs("team")
def change_role(member_id: int):
    """Give a member a role and its preset permissions; their sign-ins end."""
    form = RoleForm()
    if not form.validate_on_submit():
        return _member_page(db.get_or_404(User, member_id), 422, form.role.errors[0] if form.role.errors else None)
    key = current_user.session_key
    return _change(member_id, lambda m: team.set_role(current_user, m, form.role.data, keep=key),
                   lambda name: _("%(name)s is now %(role)s. Their sign-ins have ended.", name=name,
                                  role=permissions.role_label(form.role.data)),
                   role=form.role.data)


@bp.post("/settings/team/members/<int:member_id>/permissions")
@needs("team")
def change_permissions(member_id: int):
    """Tick a member's permissions one by one; their sign-ins end."""
    ticked = set(request.form.getlist("permission")) & permissions.ALL
    target = db.get_or_404(User, member_id)
    try:
        changed = team.set_permissions(current_user, target, ticked)
    except team.TeamRefused as exc:
        db.session.rollback()
        return _member_page(db.get_or_404(User, member_id), 409, str(exc), ticked=ticked)
    db.session.commit()
    if changed:
        flash(_("Permissions of %(name)s saved. Their sign-ins have ended.", name=target.display_name), "success")
    return redirect(url_for("team.member", member_id=member_id))


@bp.post("/settings/team/members/<int:member_id>/deactivate")
@needs("team")
def deactivate(member_id: int):
    """Stop a member signing in; their sign-ins end at once."""
    return _change(member_id, lambda m: team.deactivate(current_user, m),
                   lambda name: _("%(name)s is deactivated and signed out everywhere.", name=name))


@bp.post("/settings/team/members/<int:member_id>/reactivate")
@needs("team")
def reactivate(member_id: int):
    """Let a deactivated member sign in again."""
    return _change(member_id, lambda m: team.reactivate(current_user, m),
                   lambda name: _("%(name)s can sign in again.", name=name))


@bp.post("/settings/team/members/<int:member_id>/remove")
@needs("team")
def remove(member_id: int):
    """Delete a member's account; the trail keeps their name on what they did."""
    target = db.get_or_404(User, member_id)
    name = target.display_name
    try:
        team.remove(current_user, target)
    except team.TeamRefused as exc:
        db.session.rollback()
        return _member_page(db.get_or_404(User, member_id), 409, str(exc))
    db.session.commit()
    flash(_("%(name)s was removed from the team.", name=name), "success")
    return redirect(url_for("team.index"))


@bp.post("/settings/team/members/<int:member_id>/owner")
@needs("team")
def make_owner(member_id: int):
    """Hand ownership to this member: they become an owner, and you a manager."""
    key = current_user.session_key
    return _change(member_id, lambda m: team.make_owner(current_user, m, keep=key),
                   lambda name: _("%(name)s is now the owner. You are a manager.", name=name))


def _join_page(invitation: Invitation, form: JoinForm | None, problem: str | None = None, status: int = 200):
    """The invitation page: the form, or why the link can't be used."""
    return render_template("team/join.html", invitation=invitation, form=form, problem=problem,
                           role_label=permissions.role_label), status


@bp.route("/invite/<invite_token>", methods=["GET", "POST"])
def join(invite_token: str):
    """The invitation link: the invited person gives their name and a password and lands signed in."""
    invitation = team.invitation_for(invite_token)
    if invitation is None:
        abort(404)
    state = team.state(invitation)
    if state != "pending":
        return _join_page(invitation, None, team.MESSAGES[state], 410)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = team.join(invitation, form.name.data, form.password.data)
        except team.InvitationProblem as exc:
            db.session.rollback()
            return _join_page(invitation, None, str(exc), 409)
        sessions.start(user, ip_address=request.remote_addr, user_agent=request.user_agent.string)
        db.session.commit()
        login_user(user)
        flash(_("Welcome to %(shop)s, %(name)s!", shop=get_settings().shop_name, name=user.name), "success")
        return redirect(url_for("customers.index"))
    return _join_page(invitation, form, status=422 if request.method == "POST" else 200)
