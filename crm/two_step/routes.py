"""Two-step verification on the account page: set up with the app's QR code, turn on, turn off."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..account.forms import TurnOffForm, TurnOnForm
from ..extensions import db
from ..services import accounts, audit, two_step
from ..services.permissions import signed_in
from ..services.shop import get_settings

bp = Blueprint("two_step", __name__, url_prefix="/account/two-step")

NO_STORE = {"Cache-Control": "no-store"}  # pages showing the secret or the recovery codes


def _setup_page(form: TurnOnForm | None = None, status: int = 200):
    """The set-up page: a button to start, or the QR code, the secret and the code field once started."""
    settings = get_settings()
    qr = None
    if current_user.totp_secret and not current_user.two_step_on:
        qr = two_step.qr_svg(two_step.provisioning_uri(current_user, settings.shop_name))
    return render_template("account/two_step.html", form=form or TurnOnForm(formdata=None), qr=qr,
                           off_form=TurnOffForm(formdata=None),
                           required=settings.require_two_step and not current_user.two_step_on), status, NO_STORE


@bp.get("")
@signed_in
def page():
    """Two-step verification: its state, or the set-up in progress."""
    return _setup_page()


@bp.post("")
@signed_in
def begin():
    """Start setting up: a new secret for the app (two-step stays off until a code proves the app has it)."""
    if current_user.two_step_on:
        flash(_("Two-step verification is on already."), "info")
        return redirect(url_for("two_step.page"))
    two_step.begin_setup(current_user)
    db.session.commit()
    return redirect(url_for("two_step.page"))


@bp.post("/on")
@signed_in
def turn_on():
    """The first code from the app turns two-step on; the recovery codes are shown this once."""
    form = TurnOnForm()
    if current_user.two_step_on or not current_user.totp_secret:
        return redirect(url_for("two_step.page"))
    if not form.validate_on_submit():
        return _setup_page(form, 422)
    try:
        codes = two_step.turn_on(current_user, form.code.data)
    except two_step.WrongCode:
        form.code.errors.append(_("That code is not right: enter the 6 digits your app shows now"))
        return _setup_page(form, 422)
    audit.record(current_user, "two-step", None, detail="Turned on")
    db.session.commit()
    return render_template("account/recovery_codes.html", codes=codes), 200, NO_STORE


@bp.post("/off")
@signed_in
def turn_off():
    """Turn two-step off, after the password (not allowed while the shop requires it)."""
    form = TurnOffForm()
    if not current_user.two_step_on:
        return redirect(url_for("two_step.page"))
    if get_settings().require_two_step:
        abort(409, _("The shop requires two-step verification, so it can't be turned off."))
    if not form.validate_on_submit() or not accounts.password_is(current_user, form.password.data):
        if form.password.data:
            form.password.errors.append(_("That is not your password"))
        return render_template("account/two_step.html", form=TurnOnForm(formdata=None), qr=None, off_form=form,
                               required=False), 422, NO_STORE
    two_step.turn_off(current_user)
    audit.record(current_user, "two-step", None, detail="Turned off")
    db.session.commit()
    flash(_("Two-step verification is off."), "success")
    return redirect(url_for("two_step.page"))


@bp.post("/recovery-codes")
@signed_in
def new_recovery_codes():
    """A new set of recovery codes (the old ones stop working), shown this once."""
    if not current_user.two_step_on:
        return redirect(url_for("two_step.page"))
    codes = two_step.new_recovery_codes(current_user)
    audit.record(current_user, "two-step", None, detail="New recovery codes")
    db.session.commit()
    return render_template("account/recovery_codes.html", codes=codes), 200, NO_STORE
