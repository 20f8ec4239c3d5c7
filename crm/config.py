"""Default settings; instance/config.py and CRM_* environment variables override them."""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv


class Defaults:
    """Settings every installation starts from."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A database error's message names the SQL but never its values (passwords' hashes, tokens, codes), so a
    # logged traceback can't leak them.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    # Standard output: "text" lines, or "json" (one object a line); crm's own loggers from LOG_LEVEL up.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session; owners leave tabs open all day
    # Counted in the shop's database (crm/ratelimit.py), so every worker process shares the limits.
    RATELIMIT_STORAGE_URI = "crm-database://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    # The sign-in's second step, per client address and per account: six digits must not be tried through.
    TWO_STEP_RATE_LIMIT = "10 per minute"
    # Reset links: per client address, and per email typed (so no one floods a person's inbox).
    RESET_RATE_LIMIT = "10 per hour"
    RESET_EMAIL_RATE_LIMIT = "3 per hour"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PER_PAGE = 25
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's scrypt: n=2**15, r=8, p=1
    # Street suggestions: "local" (own addresses and the bundled gazetteer) or "photon", which adds a
    # Photon server's street-level results when it answers within PHOTON_TIMEOUT seconds.
    ADDRESS_PROVIDER = "local"
    PHOTON_URL = None  # e.g. "http://127.0.0.1:2322"
    PHOTON_TIMEOUT = 0.3
    # The order API's request bodies (an order is a few KB); set per request, so uploads elsewhere can be bigger.
    API_MAX_CONTENT_LENGTH = 1024 * 1024
    # Customer imports: the biggest CSV file accepted (set per request, like the API's limit), where uploads
    # wait between the check and the import (None: the instance folder's imports/), and whether checks and
    # imports run inside the request instead of a background thread (tests).
    IMPORT_MAX_BYTES = 50 * 1024 * 1024
    IMPORT_DIR = None
    IMPORT_SYNC = False
    # Bulk actions on the customer list: selections over this many customers run on the task worker, which keeps
    # each running job's lock and progress in BULK_DIR (None: the instance folder's bulk/).
    BULK_QUEUE_OVER = 1000
    BULK_DIR = None
    # Backups (`flask --app crm backup`): the folder (None: the instance folder's backups/), how many of the
    # newest are kept there, and where pg_dump, pg_restore and psql are (None: found by crm/services/backups).
    BACKUP_DIR = None
    BACKUP_KEEP = 14
    PG_BIN_DIR = None
    # The dashboard's address in links printed on the command line (`flask --app crm users reset-password`).
    BASE_URL = None
    # Running it (crm/worker): where `flask --app crm web` listens, its gunicorn processes and threads (None: sized
    # for the machine), the task worker's threads, the queue (a SQLite file, None: instance/queue.sqlite; or
    # Redis at REDIS_URL, shared by several machines), and whether the worker backs up every night.
    HOST = "127.0.0.1"
    PORT = 5000
    WORKERS = None
    THREADS = None
    WORKER_THREADS = None
    QUEUE_FILE = None
    REDIS_URL = None
    NIGHTLY_BACKUP = False
    # Outgoing mail (the follow page's codes, invitations, password reset links). No server: nothing is sent.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_FROM = "crm@localhost"
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False  # STARTTLS, for providers on port 587
    MAIL_TIMEOUT = 10  # seconds; a visitor is waiting for the page
    # Per client address: asking for follow codes, and typing them in.
    FOLLOW_RATE_LIMIT = "10 per hour"
    FOLLOW_VERIFY_RATE_LIMIT = "30 per hour"


def secret_key_for(instance_path: str) -> str:
    """Return the instance's secret key, generating it once (mode 0600) when none exists yet."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_url(config: dict, instance_path: str) -> str:
    """Pick the database: CRM_DATABASE_URL (or DATABASE_URL in instance config), else SQLite in instance/."""
    url = config.get("DATABASE_URL") or config.get("SQLALCHEMY_DATABASE_URI")
    if url:
        if url.startswith("postgres://"):  # the scheme some hosts hand out; SQLAlchemy wants postgresql://
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return "sqlite:///" + str(Path(instance_path) / "crm.sqlite")


def load_env_files(instance_path: str, checkout: Path) -> None:
    """Add the variables of instance/.env, then of a .env beside the checkout, to the environment.

    A variable already set, in the real environment or by the first file, is never replaced, so a shop can
    keep its CRM_* settings in a file and still override one for a single run.
    """
    for path in (Path(instance_path) / ".env", checkout / ".env"):
        if path.is_file():
            load_dotenv(path, override=False)
