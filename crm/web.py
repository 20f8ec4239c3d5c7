"""Request plumbing shared by every area: login and first-run gates, page-or-partial, error pages."""

from flask import Flask, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from . import PUBLIC_BLUEPRINTS, PUBLIC_ENDPOINTS
from .extensions import db, login_manager
from .models import User
from .services import sessions
from .services.accounts import owner_exists
from .services.shop import get_settings


def render(template: str, partial: str, **context):
    """Render the full page, or only the partial an htmx request swaps in; caches must keep them apart."""
    chosen = partial if request.htmx and not request.htmx.history_restore_request else template
    response = make_response(render_template(chosen, **context))
    response.vary.add("HX-Request")
    return response


@login_manager.user_loader
def load_user(key: str) -> User | None:
    """The signed-in user, or None (back to login) when the sign-in was ended or the account is gone."""
    return sessions.user_for(key)


def init_app(app: Flask) -> None:
    """Install the gates and error pages."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(gate)
    app.before_request(two_step_gate)
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
    """No owner yet: everything leads to /setup. Otherwise every dashboard page needs a login."""
    endpoint = request.endpoint
    if (endpoint is None or endpoint in PUBLIC_ENDPOINTS or request.blueprint in PUBLIC_BLUEPRINTS
            or current_user.is_authenticated):
        return None
    if not owner_exists():
        return redirect(url_for("auth.setup"))
    return login_manager.unauthorized()


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


def _error_page(code: int, title: str, message: str):
    """The error page, with its status."""
    return render_template("errors/error.html", code=code, title=title, message=message), code


def not_found(_error):
    """A friendly page for a missing customer or a mistyped address."""
    return _error_page(404, "Page not found", "There is nothing at this address.")


def conflict(error):
    """A request that the customer's state rules out (deleting a customer with orders ...)."""
    return _error_page(409, "This can't be done", error.description)


def too_many(error):
    """Rate limits (login attempts, reset links) explain themselves."""
    if request.endpoint == "auth.login":
        from .auth.routes import login_page

        return login_page(status=429, too_many=True)
    if request.endpoint == "password.forgot":
        from .auth.forms import ForgotPasswordForm

        return render_template("auth/forgot.html", form=ForgotPasswordForm(), sent=None, too_many=True), 429
    return _error_page(429, "Too many requests", "Please wait a minute and try again.")


def server_error(_error):
    """Something broke: say so plainly."""
    db.session.rollback()
    return _error_page(500, "Something went wrong", "The error has been logged. Please try again.")


ERROR_PAGES = {404: not_found, 409: conflict, 429: too_many, 500: server_error}
