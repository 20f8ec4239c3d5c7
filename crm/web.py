"""Request plumbing shared by every area: login and first-run gates, page-or-partial, error pages."""

from flask import Flask, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import PUBLIC_BLUEPRINTS, PUBLIC_ENDPOINTS, logs
from .extensions import db, login_manager
from .models import User
from .services import permissions, sessions
from .services.accounts import owner_exists
from .services.shop import get_settings


def render(template: str, partial: str, **context):
    """Render the full page, or only the partial an htmx request swaps in; caches must keep them apart."""
    chosen = partial if request.htmx and not request.htmx.history_restore_request else template
    response = make_response(render_template(chosen, **context))
    response.vary.add("HX-Request")
    return response


def saved_then_back(changed: bool, message: str, target: str):
    """The end of a POST that may have found nothing to do: commit and say `message` when it changed something,
    then back to `target` either way (a second click on a button that already worked)."""
    if changed:
        db.session.commit()
        flash(message, "success")
    return redirect(target)


@login_manager.user_loader
def load_user(key: str) -> User | None:
    """The signed-in user, or None (back to login) when the sign-in was ended or the account is gone."""
    return sessions.user_for(key)


def init_app(app: Flask) -> None:
    """Install the gates and error pages."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to continue.")
    login_manager.localize_callback = str  # a flash must be a str: the lazy message, in the page's language
    login_manager.login_message_category = "info"
    login_manager.unauthorized_handler(unauthorized)
    # A member the shop requires two-step verification of sets it up before anything else, their permissions too.
    app.before_request(two_step_gate)
    app.before_request(gate)
    for code, handler in ERROR_PAGES.items():
        app.register_error_handler(code, handler)


def unauthorized():
    """htmx requests get a full-page redirect; others a normal one, remembering where they were going."""
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def gate():
    """No owner yet: everything leads to /setup. Otherwise every dashboard page needs a login, and the
    permission its view declares (a view that declares none is refused to everyone)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    if current_user.is_authenticated:
        needed = permissions.declared(current_app.view_functions.get(endpoint))
        if needed is None or not permissions.can(current_user, needed):
            return forbidden(needed)
        return None
    if not owner_exists():
        return redirect(url_for("auth.setup"))
    return login_manager.unauthorized()


def forbidden(needed: str | None):
    """403 inside the app shell, naming the permission the member lacks."""
    label = permissions.label(needed) if needed else None
    return render_template("errors/forbidden.html", permission=label), 403


# What a member the shop requires two-step verification of may reach before setting it up.
TWO_STEP_SETUP = {"two_step.page", "two_step.begin", "two_step.turn_on", "auth.logout",
                  "static"}


def two_step_gate():
    """The shop requires two-step verification: a signed-in member without it is sent to set it up."""
    # Cheapest first: public pages and static files never load the signed-in user.
    if (request.endpoint is None or request.endpoint in TWO_STEP_SETUP or request.endpoint in PUBLIC_ENDPOINTS
            or request.blueprint in PUBLIC_BLUEPRINTS or not current_user.is_authenticated
            or current_user.two_step_on or not get_settings().require_two_step):
        return None
    target = url_for("two_step.page")
    if request.htmx:
        response = make_response("", 403)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _error_page(code: int, title: str, message: str, headers: dict | None = None, reference: str | None = None):
    """The error page, with its status: inside the dashboard's navigation for a logged-in user, plain otherwise."""
    page = render_template("errors/error.html", code=code, title=title, message=message, reference=reference,
                           reference_hint=REFERENCE_HINT)
    return page, code, headers or {}


# Werkzeug's errors the dashboard explains in its own words: status -> (title, message).
HTTP_PAGES = {
    400: (_l("Bad request"), _l("The page couldn't read what was sent. Go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your account can't open this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed here"), _l("This address doesn't take that kind of request. Go back and use the page's "
                                     "buttons.")),
    413: (_l("Too big"), _l("What was sent is bigger than this page takes.")),
}


def http_error(error: HTTPException):
    """Any error page Werkzeug would show (400, 403, 404, 405, 413 ...), in the dashboard's look."""
    title, message = HTTP_PAGES.get(error.code, (error.name, error.description))
    if isinstance(error, CSRFError):
        message = _("This form has expired. Go back, reload the page and try again.")
    headers = {"Allow": ", ".join(error.valid_methods)} if isinstance(error, MethodNotAllowed) else None
    return _error_page(error.code, title, message, headers)


def conflict(error):
    """A request that the customer's state rules out (deleting a customer with orders ...)."""
    return _error_page(409, _("This can't be done"), error.description)


def too_many(error):
    """Rate limits (login attempts, reset links) explain themselves."""
    if request.endpoint == "auth.login":
        from .auth.routes import login_page

        return login_page(status=429, too_many=True)
    if request.endpoint == "password.forgot":
        from .auth.forms import ForgotPasswordForm

        return render_template("auth/forgot.html", form=ForgotPasswordForm(), sent=None, too_many=True), 429
    return _error_page(429, _("Too many requests"), _("Please wait a minute and try again."))


SERVER_ERROR = (_l("Something went wrong"), _l("The error has been logged. Please try again."))
REFERENCE_HINT = _l("Quote it when you report the problem: it finds the error in the server log.")


def server_error(_error):
    """Something broke: say so plainly, with the reference that finds the traceback in the log.

    The page is drawn without touching the database if drawing it the usual way fails too (the database
    may be what broke)."""
    db.session.rollback()
    reference = logs.request_id()
    try:
        return _error_page(500, *SERVER_ERROR, reference=reference)
    except Exception:
        current_app.logger.exception("The error page itself failed")
        db.session.rollback()
        return bare_error_page(reference), 500


def bare_error_page(reference: str) -> str:
    """The 500 page from nothing but its text: no template, no shop settings, no signed-in user (so in English:
    choosing the page's language reads both)."""
    with force_locale("en"):
        title, message, hint = (escape(part) for part in (*SERVER_ERROR, REFERENCE_HINT))
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · crm</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="{url_for("static", filename="app.css")}"></head>'
            f'<body><main id="main" class="public"><div class="card narrow"><h1>{title}</h1><p>{message}</p>'
            f'<p>Reference: <code>{escape(reference)}</code></p><p class="muted">{hint}</p>'
            '</div></main></body></html>')


ERROR_PAGES = {HTTPException: http_error, 409: conflict, 429: too_many, 500: server_error}
