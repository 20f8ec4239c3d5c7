"""Forgotten passwords: a reset link by email, and the page it opens.

Every address gets the same answer as fast: the mail goes out from the mail thread, never while the visitor
waits, so neither the words nor the time tell whether an account has the address. Requests are limited per
client address and per email typed.
"""

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.forms import ForgotPasswordForm, ResetPasswordForm
from ..extensions import db, limiter
from ..models import User
from ..services import accounts, mail, resets
from ..services.shop import get_settings

bp = Blueprint("password", __name__, url_prefix="/password")

UNKNOWN = "no account"  # the stand-in's password hash: no password hashes to it
SENT = _l("If an account has this email, a link to set a new password is on its way. It works for an hour.")


def _email_key() -> str:
    """The per-email rate limit's key: a digest of the address as typed, in lower case (no typed text, control
    characters and all, goes into the key)."""
    typed = (request.form.get("email") or "").strip().lower()
    return "reset:" + hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()


def _reset_mail(to: str, link: str) -> object:
    """The reset mail, in the language of the page that asked for it."""
    settings = mail.MailSettings.from_config(current_app.config)
    shop_name = get_settings().shop_name
    text = (_("Someone asked to set a new password for your %(shop)s dashboard account.", shop=shop_name)
            + "\n\n" + _("Open this link within an hour to choose it:") + f"\n{link}\n\n"
            + _("If it wasn't you, ignore this message: your password stays as it is.") + "\n")
    subject = _("Set a new password for %(shop)s", shop=shop_name)
    return settings, mail.build_message(settings, to, subject, text)


def _send(email: str) -> None:
    """Mail a reset link if an account has the address (without a mail server, only a development server logs it).

    An unknown address gets the same work up to the hand-over (a link and a message for a stand-in account),
    so the answer takes as long either way."""
    user = accounts.find_user(email)
    known = user is not None and user.deactivated_at is None
    account = user if known else User(id=0, email="nobody@invalid", password_hash=UNKNOWN)
    link = url_for("password.reset", reset_token=resets.make_token(account), _external=True)
    settings, message = _reset_mail(account.email, link)
    if not known:
        return
    if not settings.server:
        # A link that resets a password is as secret as the password: only a development server logs it.
        if current_app.debug:
            current_app.logger.warning("No mail server is set: the password reset link for %s is %s", user.email,
                                       link)
        else:
            current_app.logger.warning("No mail server is set, so no reset link was sent to %s; "
                                       "`flask --app crm users reset-password` prints one", user.email)
        return
    logger = current_app.logger
    mail.send_later(settings, message,
                    lambda exc: logger.error("Could not send the reset link to %s: %s", user.email, exc))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_EMAIL_RATE_LIMIT"], methods=["POST"], key_func=_email_key)
def forgot():
    """Ask for the email; the same answer whether or not an account has it."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        _send(form.email.data)
        return render_template("auth/forgot.html", form=form, sent=SENT, too_many=False)
    return render_template("auth/forgot.html", form=form, sent=None, too_many=False), 422 if request.method == "POST" else 200


@bp.route("/reset/<reset_token>", methods=["GET", "POST"])
def reset(reset_token: str):
    """Set a new password with a link's token; a used, old or replaced link says it is no longer valid."""
    user = resets.user_for(reset_token[:500])
    if user is None:
        return render_template("auth/reset.html", form=None), 410
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset.html", form=form), 422 if request.method == "POST" else 200
    accounts.set_password(user, form.password.data, detail="Set with a reset link")
    db.session.commit()
    flash(_("Password changed. Log in with your new password."), "success")
    return redirect(url_for("auth.login"))
