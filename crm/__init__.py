"""crm: a self-hosted customer-management dashboard for small online shops."""

import os
from pathlib import Path

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, logs, ratelimit  # noqa: F401  (ratelimit registers the "crm-database://" storage)
from .extensions import csrf, db, htmx, limiter, login_manager
from .models import include_in_migrations
from .urlargs import IdConverter

CHECKOUT = Path(__file__).resolve().parent.parent  # the folder holding crm/, migrations/ and maybe a .env
MIGRATIONS = str(CHECKOUT / "migrations")
# Endpoints anyone may reach without logging in or before the owner account exists.
PUBLIC_ENDPOINTS = {"static", "auth.setup", "auth.login", "health", "team.join", "auth.verify", "password.forgot",
                    "password.reset"}
# Areas that don't use the dashboard login: the public follow page, and the API (bearer tokens).
PUBLIC_BLUEPRINTS = {"follow", "api"}
def create_app(test_config: dict | None = None, *, commands: bool = True) -> Flask:
    """Build the app: defaults, then instance/config.py, then CRM_* environment variables, which instance/.env
    and the checkout's .env fill in (or test_config alone).

    `commands=False` (gunicorn's workers) leaves out the CLI commands and the migrations with them: Alembic
    costs each web process about 6 MB it would never use.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:id> is bounded
    _configure(app, test_config)
    logs.init_app(app)  # first, so its request hook runs before every other one
    _init_extensions(app)
    _register_blueprints(app)
    _init_plumbing(app)
    _add_root_routes(app)
    if commands:
        _init_commands(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    """Settings in order of precedence, the secret key, the database, and the reverse proxy if any."""
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config.Defaults)
    if test_config is None:
        config.load_env_files(app.instance_path, CHECKOUT)
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("CRM")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret_key_for(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(app.config, app.instance_path)
    if app.config.get("PROXIES"):
        # Behind a reverse proxy the client's address (for the login rate limit) and scheme come from it.
        hops = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_extensions(app: Flask) -> None:
    """Bind the extensions created in crm.extensions to this app."""
    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area."""
    from .account.routes import bp as account_bp
    from .addresses.routes import bp as addresses_bp
    from .api.routes import bp as api_bp
    from .audit.routes import bp as audit_bp
    from .auth.routes import bp as auth_bp
    from .customers.views import bp as customers_bp
    from .follow.routes import bp as follow_bp
    from .imports.routes import bp as imports_bp
    from .insights.routes import bp as insights_bp
    from .password.routes import bp as password_bp
    from .settings.routes import bp as settings_bp
    from .tags.routes import bp as tags_bp
    from .team.routes import bp as team_bp
    from .two_step.routes import bp as two_step_bp

    for bp in (account_bp, addresses_bp, api_bp, audit_bp, auth_bp, customers_bp, follow_bp, imports_bp, insights_bp,
               settings_bp, password_bp, tags_bp, team_bp, two_step_bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: there is no session to forge requests with


def _init_plumbing(app: Flask) -> None:
    """What every area shares: security headers, template filters, the login gate, error pages."""
    from . import i18n, security, templating, web

    security.init_app(app)
    i18n.init_app(app)  # before templating: it puts gettext into the templates' environment
    templating.init_app(app)
    web.init_app(app)


def _init_commands(app: Flask) -> None:
    """The `flask --app crm ...` commands, `db` (Flask-Migrate) among them."""
    from flask_migrate import Migrate

    from . import cli

    Migrate(app, db, directory=MIGRATIONS, render_as_batch=True, include_object=include_in_migrations)
    cli.init_app(app)


def _add_root_routes(app: Flask) -> None:
    """The two URLs outside every area: the health check and the dashboard's start."""

    @app.get("/healthz", endpoint="health")
    def health():
        """For a process manager or load balancer: 503 when the database or the task worker is gone."""
        from .worker.health import health as check

        return check()

    from .services.permissions import signed_in

    @app.get("/")
    @signed_in
    def index():
        """The dashboard starts at the customer list."""
        return redirect(url_for("customers.index"))
