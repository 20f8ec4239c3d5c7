"""Logging set up at start-up: one line per request and per job on standard output, as text or JSON lines.

(One-off commands log to standard error, keeping their standard output for their result: StdoutHandler.)

`CRM_LOG_FORMAT=json` writes one JSON object a line (for journald, Docker or a log shipper), anything else
plain text; `CRM_LOG_LEVEL` (default INFO) sets how much of crm's own logging is shown, libraries show
warnings and worse. Every line written while a request is answered carries its request id: the proxy's
X-Request-ID when a trusted proxy stands in front (`CRM_PROXIES`), otherwise a new one; the response returns
it in the same header, and a 500 page shows it as the reference to quote.

Nothing secret reaches the log from here: a request line names the method, the path (never the query string,
which carries searches and sign-in redirects), the status, the time and the id; form bodies, headers and
cookies are never logged, and SQL parameters are kept out of database errors (`hide_parameters`, config.py).
Code that logs must not pass passwords, tokens or one-time codes either (tests/test_logs.py reads the log of
a whole flow for them).

Jobs log one line each through `job_finished(name, outcome, seconds)` or the `job(name)` context manager.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, Response, current_app, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An id taken from the proxy is used only when it looks like one: no spaces, quotes or line breaks in a log.
TRUSTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
# The commands that serve: their standard output is the log.
SERVER_COMMANDS = {"web", "worker", "serve", "run"}
# Libraries that say something worth seeing at INFO (migrations being applied).
CHATTY = ("alembic", "flask_migrate")
# ... but not Alembic's note of each plugin it sets up, seven lines whenever it is first imported.
QUIET = ("alembic.runtime.plugins",)

requests_log = logging.getLogger("crm.requests")
jobs_log = logging.getLogger("crm.jobs")


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (test runners and `flask` CLI runners swap it).

    Inside a one-off command (`flask --app crm backup`, `tokens create` ...) it writes to standard error
    instead: what such a command prints on standard output is its result, read by scripts. The servers
    (SERVER_COMMANDS) and requests outside any command log to standard output.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):
        command = click.get_current_context(silent=True)
        if command is not None and command.info_name not in SERVER_COMMANDS:
            return sys.stderr
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


class RequestContext(logging.Filter):
    """Gives every record a request_id: the current request's, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class NoDevServerRequestLines(logging.Filter):
    """The development server's own request lines carry the query string; ours replace them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).endswith('"%s" %s %s')


def configure(log_format: str = "text", level: str | int = "INFO") -> None:
    """Send every log record to standard output in the chosen format (calling it again replaces the set-up)."""
    handler = StdoutHandler()
    handler.addFilter(RequestContext())
    if str(log_format).strip().lower() == "json":
        handler.setFormatter(JsonFormatter(JSON_FORMAT, rename_fields={"asctime": "time", "levelname": "level",
                                                                       "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StdoutHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("crm").setLevel(str(level).upper() if isinstance(level, str) else level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, NoDevServerRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(NoDevServerRequestLines())


def init_app(app: Flask) -> None:
    """Configure logging from the app's settings and log every request (call before other request hooks)."""
    configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)  # Flask's own handler writes to stderr in another format
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)


def start_request() -> None:
    """Note when the request started and which id it has."""
    g.request_started = time.perf_counter()
    g.request_id = incoming_id() or uuid.uuid4().hex


def incoming_id() -> str | None:
    """The proxy's request id, when a proxy is trusted and the id is well formed."""
    if not current_app.config.get("PROXIES"):
        return None
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if TRUSTED_ID.match(offered) else None


def request_id() -> str:
    """The current request's id (one is made if the request began before logging saw it)."""
    if "request_id" not in g:
        start_request()
    return g.request_id


def finish_request(response: Response) -> Response:
    """Return the request id in a header and log the request's one line."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    took = (time.perf_counter() - g.request_started) * 1000
    requests_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, took,
                      extra={"method": request.method, "path": request.path, "status": response.status_code,
                             "duration_ms": round(took, 1)})
    return response


def job_finished(name: str, outcome: str, seconds: float, **fields) -> None:
    """Log one line for a job that ended: its name, outcome ("ok", "failed" ...) and how long it took.

    `fields` are extra facts for the line (counts, ids; not "name", "message" or another LogRecord
    attribute), never secrets: they go to the log as they are. A failed outcome is logged as an error.
    """
    level = logging.INFO if outcome == "ok" else logging.ERROR
    details = "".join(f" {key}={value}" for key, value in fields.items())
    jobs_log.log(level, "job %s %s %.2fs%s", name, outcome, seconds, details,
                 extra={"job": name, "outcome": outcome, "duration_ms": round(seconds * 1000, 1), **fields})


@contextmanager
def job(name: str, **fields) -> Iterator[dict]:
    """Time the block and log its line: outcome "ok", or "failed" with the traceback (the error goes on).

    The block may add fields for the line to the dict it is given: `with logs.job("purge") as line:
    line["removed"] = 3`.
    """
    started = time.perf_counter()
    line = dict(fields)
    try:
        yield line
    except Exception:
        jobs_log.exception("job %s raised", name)
        job_finished(name, "failed", time.perf_counter() - started, **line)
        raise
    job_finished(name, "ok", time.perf_counter() - started, **line)
