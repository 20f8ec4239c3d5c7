"""The account page: the signed-in person changes their name, email and password, and ends their sign-ins."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, refresh
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import language_name, page_theme, select_language
from ..services import accounts, audit, devices, sessions, two_step
from ..services.permissions import signed_in
from ..services.shop import get_settings
from .forms import DisplayForm, PasswordForm, ProfileForm

bp = Blueprint("account", __name__, url_prefix="/account")
EMAIL_TAKEN = _l("Another account has this email")


def _profile_form(formdata=None) -> ProfileForm:
    return ProfileForm(formdata=formdata, prefix="profile", data={"name": current_user.name,
                                                                   "email": current_user.email})


def _display_form(formdata=None) -> DisplayForm:
    return DisplayForm(formdata=formdata, prefix="display", data={"language": select_language(),
                                                                   "theme": page_theme()})


def _page(profile: ProfileForm | None = None, password: PasswordForm | None = None,
          display: DisplayForm | None = None, status: int = 200):
    """The account page with its forms (the one posted keeps what was typed and its messages)."""
    rows = [(row, devices.describe(row.user_agent), sessions.is_current(row, current_user))
            for row in sessions.of_user(current_user)]
    return render_template(
        "account/index.html", profile=profile or _profile_form(), password=password or PasswordForm(
            formdata=None, prefix="password"), display=display or _display_form(), sessions=rows,
        shop_language_name=language_name(get_settings().language),
        recovery_left=two_step.recovery_codes_left(current_user) if current_user.two_step_on else 0), status


@bp.get("")
@signed_in
def index():
    """The signed-in person's account."""
    return _page()


@bp.post("/profile")
@signed_in
def profile():
    """Save the name and email; a new email needs the current password."""
    form = _profile_form(request.form)
    if not form.validate_on_submit():
        return _page(profile=form, status=422)
    if form.email.data != current_user.email:
        # Another address needs the password (a borrowed session must not take the account over); a change
        # of case alone does not.
        if form.email.data.lower() != current_user.email.lower() and not accounts.password_is(
                current_user, form.password.data):
            form.password.errors.append(_("Enter your current password to change the email"))
            return _page(profile=form, status=422)
        other = accounts.find_user(form.email.data)
        if other is not None and other is not current_user:
            form.email.errors.append(str(EMAIL_TAKEN))
            return _page(profile=form, status=422)
    changed = accounts.rename(current_user, form.name.data or "")
    changed = accounts.change_email(current_user, form.email.data) or changed
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another account took the email in between
        form.email.errors.append(str(EMAIL_TAKEN))
        return _page(profile=form, status=422)
    flash(_("Account saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("account.index"))


@bp.post("/display")
@signed_in
def display():
    """Save the language and the theme the dashboard shows this person."""
    form = _display_form(request.form)
    if not form.validate_on_submit():
        return _page(display=form, status=422)
    changed = accounts.set_display(current_user, form.language.data, form.theme.data)
    db.session.commit()
    refresh()  # the flash below, and the page after it, speak the language just chosen
    flash(_("Display saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("account.index"))


@bp.post("/password")
@signed_in
def change_password():
    """A new password, after the current one; every other sign-in of the account ends."""
    form = PasswordForm(prefix="password")
    if not form.validate_on_submit():
        return _page(password=form, status=422)
    if not accounts.password_is(current_user, form.current.data):
        form.current.errors.append(_("That is not your current password"))
        return _page(password=form, status=422)
    accounts.set_password(current_user, form.new.data, keep_session=current_user.session_key)
    db.session.commit()
    flash(_("Password changed"), "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions/sign-out-others")
@signed_in
def sign_out_others():
    """End every sign-in of this account but this one."""
    ended = sessions.end_all(current_user, keep=current_user.session_key)
    if ended:
        audit.record(current_user, "sign-out", None, detail=f"Other sessions signed out ({ended})")
    db.session.commit()
    flash(ngettext("Signed out %(num)s other session.", "Signed out %(num)s other sessions.", ended)
          if ended else _("No other sessions."), "success")
    return redirect(url_for("account.index"))


@bp.post("/sessions/<int:session_id>/sign-out")
@signed_in
def sign_out_session(session_id: int):
    """End one sign-in of this account (this one too: then back to the login)."""
    current = any(sessions.is_current(row, current_user) and row.id == session_id
                  for row in sessions.of_user(current_user))
    ended = sessions.end_one(current_user, session_id)
    if ended:
        audit.record(current_user, "sign-out", None, detail="This session" if current else "Another session")
    db.session.commit()
    if current:
        logout_user()
        flash(_("You have been logged out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("Session signed out.") if ended else _("That session had ended already."), "success" if ended else "info")
    return redirect(url_for("account.index"))

