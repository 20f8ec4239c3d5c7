"""Logging: one line per request and per job on standard output, text or JSON, request ids, and no secrets.

The log is read as the app writes it (standard output, captured by pytest's capsys), not through caplog, so
what is tested is what a shop's journal or container log would hold.
"""

import io
import json
import logging

import click
import pytest
from sqlalchemy import text

from crm import create_app, logs
from crm.extensions import db
from crm.services.permissions import signed_in as any_member

from .conftest import OWNER_PASSWORD, app_config, clean_database
from .html import page, parse
from .mailserver import Collector, last_code, start_server
from .test_api import order_body


def lines(capsys) -> list[str]:
    """The log lines written so far (and forget them)."""
    return capsys.readouterr().out.splitlines()


def request_lines(output: list[str]) -> list[str]:
    """The one-per-request lines."""
    return [line for line in output if " crm.requests " in line]


def test_each_request_logs_one_line_with_method_path_status_time_and_id(client, owner, capsys):
    lines(capsys)
    response = client.get("/login")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    line, = request_lines(lines(capsys))
    assert f"INFO crm.requests [{request_id}] GET /login 200 " in line and line.endswith("ms")


def test_the_query_string_is_never_logged(logged_in, capsys):
    lines(capsys)
    response = logged_in.get("/customers?q=Ziggy+Stardust&token=crm_notlogged&page=1")
    assert response.status_code == 200
    output = "\n".join(lines(capsys))
    assert "GET /customers 200" in output
    for part in ("Ziggy", "Stardust", "crm_notlogged", "?", "page=1"):
        assert part not in output


def test_a_trusted_proxy_gives_the_request_id(database_url, capsys):
    app = create_app(app_config(database_url, PROXIES=1))
    client = app.test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.1"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.1"
    # 503: no task worker runs beside a test's app (crm/worker/health.py)
    assert "[edge-7f3a.1] GET /healthz 503" in "\n".join(lines(capsys))
    # An id that would put spaces, quotes or lines into the log is replaced by a new one.
    for offered in ("two words", 'quote"d', "x" * 129, ""):
        response = client.get("/healthz", headers={"X-Request-ID": offered})
        assert response.headers["X-Request-ID"] != offered and len(response.headers["X-Request-ID"]) == 32
    with app.app_context():
        db.engine.dispose()


def test_without_a_proxy_a_client_cannot_choose_the_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    assert response.headers["X-Request-ID"] != "chosen-by-client"


def test_json_lines_carry_the_request_fields(database_url, capsys):
    app = create_app(app_config(database_url, LOG_FORMAT="json"))
    lines(capsys)
    response = app.test_client().get("/healthz?secret=1")
    records = [json.loads(line) for line in lines(capsys)]
    record, = [r for r in records if r["logger"] == "crm.requests"]
    assert record["method"] == "GET" and record["path"] == "/healthz" and record["status"] == 503  # no worker
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert record["level"] == "INFO" and isinstance(record["duration_ms"], float) and "time" in record
    assert record["message"].startswith("GET /healthz 503 ")
    assert "secret" not in json.dumps(records)
    with app.app_context():
        db.engine.dispose()


def test_a_job_logs_one_line_with_name_outcome_and_duration(app, capsys):
    lines(capsys)
    logs.job_finished("purge", "ok", 1.234, removed=3)
    with logs.job("refresh-insights") as line:
        line["months"] = 2
    with pytest.raises(RuntimeError), logs.job("backup"):
        raise RuntimeError("disk full")
    output = lines(capsys)
    job_lines = [line for line in output if " crm.jobs " in line]
    assert job_lines[0].endswith("INFO crm.jobs [-] job purge ok 1.23s removed=3")
    assert " INFO crm.jobs [-] job refresh-insights ok " in job_lines[1] and job_lines[1].endswith("months=2")
    assert "ERROR crm.jobs [-] job backup raised" in job_lines[2]
    assert "ERROR crm.jobs [-] job backup failed" in job_lines[3]
    assert "RuntimeError: disk full" in "\n".join(output)


def test_job_lines_in_json(app, capsys):
    logs.configure("json")
    lines(capsys)
    logs.job_finished("purge", "ok", 0.5, removed=3)
    record, = [json.loads(line) for line in lines(capsys)]
    assert (record["job"], record["outcome"], record["duration_ms"], record["removed"]) == ("purge", "ok", 500.0, 3)


def test_one_off_commands_log_to_stderr_and_keep_stdout_for_their_result(app, capsys):
    lines(capsys)
    with click.Context(click.Command("backup"), info_name="backup"):
        logs.job_finished("backup", "ok", 1.0)
    for server in ("web", "worker", "serve"):
        with click.Context(click.Command(server), info_name=server):
            logs.job_finished(f"in-{server}", "ok", 1.0)
    out, err = capsys.readouterr()
    assert "job backup ok" in err and "job backup" not in out
    assert all(f"job in-{server} ok" in out for server in ("web", "worker", "serve")) and "job in-" not in err


def test_the_development_server_request_lines_are_left_out():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '127.0.0.1 - - [02/Dec/2026 03:00:00] "%s" %s %s', ("GET /?q=x HTTP/1.1", 200, 5),
                               None)
    assert not logs.NoDevServerRequestLines().filter(record)
    started = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "Running on %s", ("http://x",), None)
    assert logs.NoDevServerRequestLines().filter(started)


# ---- a whole flow leaves no secret in the log ---------------------------------------------------------------

SECRETS = {"owner password": "tangerine-Owl-5150", "customer password": "storefront-Pass-4471"}
IMPORT = "First name,Last name,Email,Phone\nImma,Ported,imma@example.test,0412 000 999\n"


@pytest.fixture
def flow_app(database_url, tmp_path):
    """An app logging everything crm says (DEBUG) and libraries' INFO, with mail, imports in the request."""
    smtp = start_server(Collector())
    app = create_app(app_config(database_url, LOG_LEVEL="DEBUG", IMPORT_DIR=str(tmp_path / "imports"),
                                IMPORT_SYNC=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port))
    logging.getLogger().setLevel(logging.INFO)
    with app.app_context():
        clean_database()
    yield app, smtp.handler
    smtp.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def walk_the_shop(client, mailbox) -> dict[str, str]:
    """Set up, log in, add a customer, create a token and post an order, follow, import; the secrets used."""
    found = dict(SECRETS)
    owner_password = SECRETS["owner password"]
    client.post("/setup", data={"shop_name": "Koala Goods", "email": "me@shop.test", "password": owner_password})
    found["session cookie"] = client.get_cookie("session").value
    client.post("/logout")
    client.post("/login", data={"email": "me@shop.test", "password": "wrong-" + owner_password})
    assert client.post("/login", data={"email": "me@shop.test", "password": owner_password}).status_code == 302
    found["session cookie after login"] = client.get_cookie("session").value
    response = client.post("/customers/new", data={
        "first_name": "Anna", "last_name": "Smith", "email": "anna@example.test", "phone": "0412 345 678",
        "password": SECRETS["customer password"], "country": "AU"})
    assert response.status_code == 302, response.get_data(as_text=True)
    token = page(client.post("/settings/tokens", data={"token-name": "Checkout"})).field("New API token").value
    found["API token"] = token
    response = client.post("/api/v1/orders", json=order_body(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    client.get("/api/v1/orders/1001", headers={"Authorization": f"Bearer {token}x"})  # a wrong one, too
    assert client.post("/follow", data={"email": "fan@example.test"}).status_code == 303
    found["follow code"] = last_code(mailbox)
    assert client.post("/follow/verify", data={"code": found["follow code"]}).status_code == 303
    response = client.post("/customers/import", data={"file": (io.BytesIO(IMPORT.encode()), "people.csv")},
                           content_type="multipart/form-data")
    upload = response.headers["Location"].rsplit("/", 1)[1]
    mapping = {f"map_{i}": key for i, key in enumerate(["first_name", "last_name", "email", "phone"])}
    assert client.post(f"/customers/import/{upload}/import", data=mapping).status_code == 303
    return found


def test_a_whole_flow_logs_every_request_and_no_secret(flow_app, capsys):
    app, mailbox = flow_app
    lines(capsys)
    secrets = walk_the_shop(app.test_client(), mailbox)
    output = lines(capsys)
    logged = "\n".join(output)
    for name, secret in secrets.items():
        assert secret and secret not in logged, f"the {name} is in the log"
    for expected in ("POST /setup 302", "POST /login 302", "POST /customers/new 302", "POST /api/v1/orders 201",
                     "GET /api/v1/orders/1001 401", "POST /follow 303", "POST /follow/verify 303",
                     "POST /customers/import 303"):
        assert any(expected in line for line in request_lines(output)), expected


# ---- error pages -------------------------------------------------------------------------------------------


@pytest.fixture
def broken_app(database_url, owner):
    """An app with a view that fails as a bug would, and one that forbids; exceptions become 500 pages."""
    app = create_app(app_config(database_url, PROPAGATE_EXCEPTIONS=False))

    @app.get("/broken")
    @any_member
    def broken():
        raise RuntimeError("broken on purpose")

    @app.get("/bad-query")
    @any_member
    def bad_query():
        db.session.execute(text("SELECT no_such_column FROM customer WHERE email = :email"),
                           {"email": "hidden-value@example.test"})

    @app.get("/forbidden")
    @any_member
    def forbidden():
        from flask import abort

        abort(403)

    yield app
    with app.app_context():
        db.engine.dispose()


def signed_in(app):
    """A client of the app, logged in as the owner."""
    client = app.test_client()
    assert client.post("/login", data={"email": "owner@shop.test", "password": OWNER_PASSWORD}).status_code == 302
    return client


def test_a_500_shows_the_reference_that_is_in_the_log_with_the_traceback(broken_app, capsys):
    client = signed_in(broken_app)
    lines(capsys)
    response = client.get("/broken")
    assert response.status_code == 500
    reference = response.headers["X-Request-ID"]
    doc = page(response)
    assert doc.heading("Something went wrong")
    assert f"Reference: {reference}" in doc.text
    assert doc.by_role("navigation", "Main")
    output = capsys.readouterr().out
    at = output.index(f"ERROR crm [{reference}] Exception on /broken [GET]")
    assert "Traceback" in output[at:] and "RuntimeError: broken on purpose" in output[at:]
    assert f"[{reference}] GET /broken 500 " in output


def test_a_failed_query_is_logged_without_its_values(broken_app, capsys):
    client = signed_in(broken_app)
    lines(capsys)
    assert client.get("/bad-query").status_code == 500
    output = capsys.readouterr().out
    assert "no_such_column" in output and "SQL parameters hidden" in output
    assert "hidden-value" not in output


def test_a_500_when_the_page_cannot_be_drawn_still_shows_the_reference(broken_app, monkeypatch, capsys):
    client = signed_in(broken_app)

    def unreachable():
        raise RuntimeError("database unreachable")

    monkeypatch.setattr("crm.templating.get_settings", unreachable)
    response = client.get("/broken")
    assert response.status_code == 500
    doc = page(response)
    assert doc.heading("Something went wrong")
    assert f"Reference: {response.headers['X-Request-ID']}" in doc.text
    assert "The error page itself failed" in capsys.readouterr().out


@pytest.mark.parametrize("method, path, status, heading", [
    ("get", "/no-such-page", 404, "Page not found"),
    ("put", "/customers", 405, "Not allowed here"),
    ("get", "/forbidden", 403, "Not allowed"),
])
def test_error_pages_keep_the_navigation_for_a_signed_in_user(broken_app, method, path, status, heading):
    response = getattr(signed_in(broken_app), method)(path)
    assert response.status_code == status
    doc = page(response)
    assert doc.heading(heading) and doc.by_role("navigation", "Main")
    assert doc.link("Back to customers")["href"] == "/customers"
    assert doc.button("Log out")


@pytest.mark.parametrize("method, path, status, heading", [
    ("get", "/no-such-page", 404, "Page not found"),
    ("put", "/login", 405, "Not allowed here"),
])
def test_error_pages_are_plain_for_a_visitor(broken_app, method, path, status, heading):
    response = getattr(broken_app.test_client(), method)(path)
    assert response.status_code == status
    doc = page(response)
    assert doc.heading(heading)
    assert not doc.all_by_role("navigation") and not doc.find_all("a", href="/customers")


def test_a_405_says_which_methods_the_address_takes(logged_in):
    response = logged_in.put("/customers")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_an_expired_form_says_so(database_url, owner):
    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/login", data={"email": owner, "password": OWNER_PASSWORD})
    assert response.status_code == 400
    assert "This form has expired. Go back, reload the page and try again." in parse(response.data).text
    with app.app_context():
        db.engine.dispose()
