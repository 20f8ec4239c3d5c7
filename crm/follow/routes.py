"""Follow the store: ask for a code, type it in, follow. Public: no login (PUBLIC_BLUEPRINTS)."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..extensions import db, limiter
from ..services import follow, mail, serial
from ..services.shop import get_settings
from .forms import CodeForm, EmailForm

bp = Blueprint("follow", __name__, url_prefix="/follow")

# The browser's place in the flow, kept in the signed session cookie: the address and the code sent to it
# (PENDING), then the address that was confirmed (DONE).
PENDING = "follow_pending"
DONE = "follow_done"

MESSAGES = {
    "too_many_codes": _l("This address has had %(num)s codes in the last hour. Please wait a while and try again.",
                         num=follow.MAX_CODES_PER_HOUR),
    "send_failed": _l("We couldn't send the code just now. Please try again in a few minutes."),
    "rate_limited": _l("Too many requests from your network. Please wait a while and try again."),
    follow.CodeState.EXPIRED: _l("This code has expired. Send a new code to try again."),
    follow.CodeState.DEAD: _l("Too many wrong tries: this code no longer works. Send a new code to try again."),
    follow.CodeState.USED: _l("This code has already been used. Send a new code to try again."),
    follow.CodeState.MISSING: _l("This code no longer works. Send a new code to try again."),
}


def _wrong(tries_left: int) -> str:
    """The message for a wrong code, with the tries left."""
    return ngettext("That code isn't right. You have %(num)s try left.",
                    "That code isn't right. You have %(num)s tries left.", tries_left)


def start_page(form: EmailForm | None = None, status: int = 200, alert: str | None = None):
    """The first step: the email form."""
    return render_template("follow/start.html", form=form or EmailForm(), alert=alert), status


def verify_page(pending: dict, form: CodeForm | None = None, status: int = 200, alert: str | None = None,
                offer_new_code: bool = False):
    """The second step: the code form, for the address the code went to."""
    return render_template("follow/verify.html", form=form or CodeForm(), email=pending["email"], alert=alert,
                           offer_new_code=offer_new_code,
                           minutes=int(follow.CODE_LIFETIME.total_seconds() // 60)), status


@bp.get("")
def start():
    """Ask for the visitor's email (filled in again when they come back to change it)."""
    form = EmailForm()
    pending = session.get(PENDING)
    if pending and not form.email.data:
        form.email.data = pending["email"]
    return start_page(form)


@bp.post("")
@limiter.limit(lambda: current_app.config["FOLLOW_RATE_LIMIT"], methods=["POST"])
def send_code():
    """Email a code to the address; every address gets the same answer, customer or not."""
    form = EmailForm()
    if not form.validate_on_submit():
        return start_page(form, 422)
    shop_name = get_settings().shop_name
    try:
        record = follow.send_code(form.email.data, shop_name=shop_name,
                                  secret_key=current_app.config["SECRET_KEY"],
                                  settings=mail.MailSettings.from_config(current_app.config),
                                  requested_from=request.remote_addr, log_code=current_app.debug)
    except follow.TooManyCodes:
        return start_page(form, 429, MESSAGES["too_many_codes"])
    except mail.MailError as exc:
        current_app.logger.error("Could not send the follow code to %s: %s", form.email.data, exc)
        return start_page(form, 503, MESSAGES["send_failed"])
    except serial.Busy:
        return start_page(form, 503, MESSAGES["send_failed"])  # nothing was stored or sent
    session[PENDING] = {"email": record.email, "code": record.id}
    session.pop(DONE, None)
    return redirect(url_for("follow.verify"), 303)


@bp.get("/verify")
def verify():
    """Ask for the code that was just sent; without one pending, start again."""
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("follow.start"))
    return verify_page(pending)


@bp.post("/verify")
@limiter.limit(lambda: current_app.config["FOLLOW_VERIFY_RATE_LIMIT"], methods=["POST"])
def check_code():
    """Check the code: a right one makes the visitor a follower, a wrong one says how many tries are left."""
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("follow.start"))
    form = CodeForm()
    if not form.validate_on_submit():
        return verify_page(pending, form, 422)
    result = follow.check_code(pending.get("code"), pending["email"], form.code.data,
                               secret_key=current_app.config["SECRET_KEY"])
    if result.state is follow.CodeState.ACCEPTED:
        follow.follow(result.code)
        db.session.commit()
        session.pop(PENDING, None)
        session[DONE] = result.code.email
        return redirect(url_for("follow.done"), 303)
    db.session.commit()  # the wrong try counts
    if result.state is follow.CodeState.WRONG:
        form.code.errors.append(_wrong(result.tries_left))
        return verify_page(pending, form, 422)
    form.code.errors.append(MESSAGES[result.state])
    return verify_page(pending, form, 422, offer_new_code=True)


@bp.get("/done")
def done():
    """Say the visitor now follows the shop."""
    email = session.get(DONE)
    if not email:
        return redirect(url_for("follow.start"))
    return render_template("follow/done.html", email=email)


@bp.errorhandler(429)
def too_many_requests(_error):
    """The per-address rate limit: the same page again, with what was typed, and a plain explanation."""
    pending = session.get(PENDING)
    if request.endpoint == "follow.check_code" and pending:
        form = CodeForm(formdata=request.form)
        return verify_page(pending, form, 429, MESSAGES["rate_limited"])
    return start_page(EmailForm(formdata=request.form), 429, MESSAGES["rate_limited"])
