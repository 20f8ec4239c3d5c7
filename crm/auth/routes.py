"""Setup, login and logout views."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db, limiter
from ..models import User
from ..services import accounts, audit, sessions, two_step
from ..services.permissions import signed_in
from ..services.text import has_control_characters
from . import second_step
from .forms import LoginForm, SecondStepForm, SetupForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow ?next= to a path on this site."""
    if target and not has_control_characters(target):  # a line break would end the Location header
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("customers.index")


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run: create the owner account; gone (404) once an owner exists."""
    if accounts.owner_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_owner(form.shop_name.data, form.email.data, form.password.data)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another setup won the race: there is an owner now, and it isn't this one
            abort(404)
        _sign_in(user)
        flash(_("Welcome! Your shop is ready."), "success")
        return redirect(url_for("customers.index"))
    return render_template("auth/setup.html", form=form), 422 if request.method == "POST" else 200


def _sign_in(user: User, how: str = "Password") -> None:
    """Start a server-side sign-in for the user and put its key in the session cookie."""
    sessions.start(user, ip_address=request.remote_addr, user_agent=request.user_agent.string)
    audit.record(user, "sign-in", None, detail=f"{how}, from {request.remote_addr or 'an unknown address'}")
    db.session.commit()
    login_user(user)


def login_page(status: int = 200, too_many: bool = False, invalid: bool = False, form=None):
    """Render the login page (also used for the rate limit's 429)."""
    form = form or LoginForm()
    return render_template("auth/login.html", form=form, too_many=too_many, invalid=invalid), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Log in with email and password."""
    if not accounts.owner_exists():
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None and user.two_step_on:
            return second_step.begin(user, _safe_next(request.args.get("next")))
        if user is not None:
            _sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
        accounts.record_failed_sign_in(form.email.data, request.remote_addr)
        db.session.commit()
        return login_page(status=401, invalid=True, form=form)
    return login_page(status=422 if request.method == "POST" else 200, form=form)


@bp.post("/logout")
@login_required
@signed_in
def logout():
    """Log out and go back to the login page; the sign-in ends on the server, so no copy of the cookie works."""
    sessions.end(current_user.session_key)
    audit.record(current_user, "sign-out", None, detail="Logged out")
    db.session.commit()
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


def _second_step_page(form: SecondStepForm, status: int = 200, wrong: bool = False):
    return render_template("auth/verify.html", form=form, wrong=wrong), status


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWO_STEP_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["TWO_STEP_RATE_LIMIT"], methods=["POST"], key_func=second_step.account_key)
def verify():
    """Ask for the code; the right one (used once) finishes the sign-in."""
    if current_user.is_authenticated:
        return redirect(url_for("customers.index"))
    user = second_step.pending_user()
    if user is None:
        second_step.finish()
        return redirect(url_for("auth.login"))
    form = SecondStepForm()
    if not form.validate_on_submit():
        return _second_step_page(form, 422 if request.method == "POST" else 200)
    try:
        how = two_step.verify(user, form.code.data)
    except two_step.WrongCode:
        audit.record(user, "sign-in-failed", None,
                     detail=f"Wrong two-step code from {request.remote_addr or 'an unknown address'}")
        db.session.commit()
        return _second_step_page(form, 401, wrong=True)
    next_url = _safe_next(second_step.finish())
    _sign_in(user, how="Password and " + how)  # commits the code's step or the used recovery code with it
    return redirect(next_url)
