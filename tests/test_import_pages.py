"""Import customers pages: upload, preview and mapping, invalid rows download, confirm, progress, limits."""

import csv
import io
import os
import select as select_module
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from crm import create_app, imports
from crm.extensions import db
from crm.imports import ImportFiles, jobs
from crm.models import CUSTOMER_ACTIONS, AuditEvent, Customer, ImportChange, ImportJob, User

from .conftest import app_config, csrf_token
from .factories import committed_customer
from .html import parse
from .test_imports import BAD_FILES

GOOD = ("Given name,Surname,E-mail,Ph,Town,State,Zip,Notes\n"
        "Anna,Smith,anna@example.com,0412 000 111,Parramatta,NSW,2150,likes red\n"
        "Bob,Brown,bob@example.com,0412 000 222,Fitzroy,VIC,3065,\n"
        "Cara,Bad,cara@,,,,,\n"
        "Dan,Dial,dan@example.com,0412,,,,\n")
# "Ph" isn't a name the guesses know, so the owner maps it to the contact number by hand.
MAPPING = ["first_name", "last_name", "email", "phone", "city", "state", "postcode", ""]


@pytest.fixture(autouse=True)
def import_settings(app, tmp_path):
    """Uploads in a temporary folder; checks and imports run inside the request."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    return app


def upload(client, data: bytes | str, filename: str = "customers.csv"):
    """Post the upload form with a file."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post("/customers/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def uploaded(client, data=GOOD, filename="customers.csv") -> str:
    """Upload a file that must be accepted; return its token."""
    response = upload(client, data, filename)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def args(mapping: list[str]) -> dict:
    """The mapping as the preview's form sends it."""
    return {f"map_{i}": key for i, key in enumerate(mapping)}


def count_customers(app) -> int:
    """How many customers the shop has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Customer))


def text_of(html: str) -> str:
    """The page's text as it reads: entities decoded, blocks apart, hidden parts left out, spaces collapsed."""
    return parse(html).content_name()


def test_upload_page(logged_in):
    html = logged_in.get("/customers/import").get_data(as_text=True)
    doc = parse(html)
    assert doc.heading("Import customers").tag == "h1"
    field = doc.field("CSV file")
    assert field["type"] == "file" and field.form["enctype"] == "multipart/form-data"
    assert doc.button("Upload and check").form is field.form
    assert field["data-max-bytes"] == "52428800"


def test_upload_needs_a_login(client, owner):
    response = client.get("/customers/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_no_file_chosen(logged_in):
    response = logged_in.post("/customers/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file to upload" in response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_are_refused_on_the_page_and_change_nothing(logged_in, app, tmp_path, data, message):
    response = upload(logged_in, data, "customers.csv")
    assert response.status_code == 422
    file = parse(response.get_data()).field("CSV file")
    assert file.invalid and message in file.description
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    assert count_customers(app) == 0


def test_a_file_over_the_limit_is_refused(logged_in, app):
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = upload(logged_in, "first_name\n" + "Anna\n" * 300)
    assert response.status_code == 413
    assert "This file is bigger than 1 KB: split it into smaller files and import each." in \
        response.get_data(as_text=True)


def test_a_request_over_the_limit_is_refused_before_it_is_read(logged_in, app):
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = upload(logged_in, "first_name\n" + "Anna\n" * 20_000)  # 100 KB: past the request's own limit
    assert response.status_code == 413
    assert "This file is bigger than 1 KB" in response.get_data(as_text=True)


def test_the_app_keeps_no_global_upload_limit(app):
    # The order API sets its own 1 MB per request; a global limit would cap it and every other area.
    assert app.config["MAX_CONTENT_LENGTH"] is None


def test_upload_without_the_csrf_token_is_refused(logged_in, app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = upload(logged_in, GOOD)
    assert response.status_code == 400
    assert "The page had expired" in response.get_data(as_text=True)
    page = logged_in.get("/customers/import").get_data(as_text=True)
    response = logged_in.post("/customers/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(GOOD.encode()), "customers.csv")})
    assert response.status_code == 303


def test_preview_guesses_the_columns_and_checks_the_file(logged_in):
    token = uploaded(logged_in)
    response = logged_in.get(f"/customers/import/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    doc = parse(html)
    for i, label in enumerate(["Given name", "Surname", "E-mail", "Ph", "Town", "State", "Zip", "Notes"]):
        assert doc.field(f"Map {label}")["name"] == f"map_{i}", label
    assert doc.field("Map Given name").value == "first_name"
    ph = doc.field("Map Ph")
    assert ph.value == "" and [o.text for o in ph.find_all("option")][0] == "Don't import"  # "Ph" isn't guessed
    assert not ph.find_all("option", selected=True)
    assert "anna@example.com" in html  # the column's first value
    text = text_of(html)
    assert "To create 3" in text and "To update 0" in text and "To skip 0" in text and "Invalid rows 1" in text
    assert "Import 3 customers" in text


def test_changing_the_mapping_with_htmx_returns_the_results(logged_in):
    token = uploaded(logged_in)
    response = logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING),
                             headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    doc = parse(html)
    assert doc.find("html") is None and doc.elements[0].tag == "section" and doc.elements[0]["id"] == "import-results"
    assert "HX-Request" in response.headers["Vary"]
    text = text_of(html)
    assert "To create 2" in text and "Invalid rows 2" in text
    assert "4 E-mail There must be something after the @-sign." in text
    assert "5 Ph This phone number is not possible" in text
    assert doc.link("Download invalid rows")["href"].startswith(f"/customers/import/{token}/invalid.csv?")
    sent = doc.button("Import 2 customers").form.form_data()
    assert {name: value for name, value in sent.items() if name.startswith("map_")} == {
        f"map_{i}": key for i, key in enumerate(MAPPING)}


def test_without_a_name_email_or_phone_column_nothing_can_be_imported(logged_in, app):
    token = uploaded(logged_in, "company,abn\nAcme Pty Ltd,51 824 753 556\n")
    html = logged_in.get(f"/customers/import/{token}").get_data(as_text=True)
    assert ("No column is imported as a name, an email or a phone number: choose the columns that hold them."
            in html)
    assert "Import 1 customer" not in html
    response = logged_in.post(f"/customers/import/{token}/import", data=args(["company_name", "abn"]))
    assert response.status_code == 303 and response.headers["Location"].startswith(f"/customers/import/{token}?")
    assert count_customers(app) == 0


def test_a_field_chosen_twice(logged_in):
    token = uploaded(logged_in)
    mapping = list(MAPPING)
    mapping[7] = "email"
    html = logged_in.get(f"/customers/import/{token}", query_string=args(mapping)).get_data(as_text=True)
    assert "“E-mail” and “Notes” are all imported as Email: choose one of them." in html


def test_invalid_rows_download(logged_in):
    token = uploaded(logged_in, GOOD.replace(",", ";"), "shop export.csv")
    logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING))
    response = logged_in.get(f"/customers/import/{token}/invalid.csv", query_string=args(MAPPING))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename*=UTF-8''shop%20export-invalid-rows.csv"
    body = response.get_data(as_text=True)
    assert body == ("\ufeffGiven name;Surname;E-mail;Ph;Town;State;Zip;Notes;error\r\n"
                    "Cara;Bad;cara@;;;;;;E-mail: There must be something after the @-sign.\r\n"
                    "Dan;Dial;dan@example.com;0412;;;;;Ph: This phone number is not possible\r\n")


def test_a_fresh_export_imports_as_unchanged_even_with_a_quote_before_a_formula(logged_in, app):
    committed_customer(app, "'=1+1", "O'Brien", email="quote@example.com")
    export = logged_in.get("/customers/export").get_data()
    first_name = next(csv.DictReader(io.StringIO(export.decode("utf-8-sig"))))["first_name"]
    assert first_name == "''=1+1"  # guarded, so the importer's unguard gives back the quote that was typed
    token = uploaded(logged_in, export, "export.csv")
    text = text_of(logged_in.get(f"/customers/import/{token}").get_data(as_text=True))
    assert "To create 0" in text and "To update 0" in text and "To skip 1" in text
    assert "Nothing to import: every row is unchanged, empty or invalid." in text


def test_a_file_with_a_200000_character_cell_and_no_quote(logged_in):
    long = "x" * 200_000
    token = uploaded(logged_in, f"first_name,email,{'H' * 300}\n{long},anna@example.com,{long}\n"
                                "Bob,bob@example.com,\n")
    response = logged_in.get(f"/customers/import/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(html) < 50_000  # what is shown is shortened
    text = text_of(html)
    assert "To create 1" in text and "Invalid rows 1" in text
    assert "2 first_name Keep the first name to 100 characters" in text
    doc = parse(html)
    assert doc.field(f"Map {'H' * 99}…")
    assert f"{'x' * 59}…" in [cell for row in doc.rows() for cell in row]
    # The download keeps the row whole: it is the file to fix and import again.
    body = logged_in.get(f"/customers/import/{token}/invalid.csv").get_data(as_text=True)
    assert f"\r\n{long},anna@example.com,{long},first_name: Keep the first name to 100 characters\r\n" in body


def test_invalid_rows_download_before_a_check_goes_to_the_preview(logged_in):
    token = uploaded(logged_in)
    response = logged_in.get(f"/customers/import/{token}/invalid.csv", query_string=args(MAPPING))
    assert response.status_code == 302 and f"/customers/import/{token}?" in response.headers["Location"]


def test_confirm_then_progress_then_done(logged_in, app):
    committed_customer(app, "Bob", "Brown", email="BOB@example.com")
    token = uploaded(logged_in)
    logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING))
    response = logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/import/{token}/progress"
    response = logged_in.get(f"/customers/import/{token}/progress")
    html = response.get_data(as_text=True)
    assert "Imported: 1 created, 1 updated, 0 skipped" in text_of(html)
    doc = parse(html)
    assert doc.by_role("progressbar", "Import progress")["aria-valuenow"] == "100"
    assert not doc.find_all(hx_trigger=True)  # done: the polling stops
    assert doc.link("Back to the customer list")["href"] == "/customers"
    assert doc.link("Download invalid rows")["href"].startswith(f"/customers/import/{token}/invalid.csv")
    with app.app_context():
        anna, = db.session.scalars(select(Customer).where(Customer.email == "anna@example.com")).all()
        assert (anna.source, anna.phone, anna.address.city) == ("import", "+61412000111", "Parramatta")
        bob = db.session.scalars(select(Customer).where(Customer.first_name == "Bob")).one()
        assert (bob.source, bob.phone) == ("manual", "+61412000222")
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.actor, job.filename, job.status, job.created, job.updated, job.skipped, job.invalid) == (
            "owner@shop.test", "customers.csv", "done", 1, 1, 0, 2)
        assert job.finished_at is not None
        summary = db.session.scalars(select(AuditEvent).where(AuditEvent.customer_id.is_(None),
                                                              AuditEvent.action == "import")).one()
        assert summary.detail == (f"1 created, 1 updated, 0 skipped, 2 invalid rows left out "
                                  f"from “customers.csv” (import #{job.id})")
    profile = text_of(logged_in.get(f"/customers/{anna.id}").get_data(as_text=True))
    assert f"Imported: Created from “customers.csv” (import #{job.id})" in profile
    profile = text_of(logged_in.get(f"/customers/{bob.id}").get_data(as_text=True))
    assert f"Imported: Updated from “customers.csv” (import #{job.id}): Contact number, Delivery address" in profile
    # The upload page lists the import.
    assert "1 created, 1 updated, 0 skipped, 2 invalid rows left out" in text_of(
        logged_in.get("/customers/import").get_data(as_text=True))
    # A second confirm doesn't import twice.
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 1


def running_state(app, **extra) -> dict:
    """An import's state as start_import writes it, for the owner."""
    with app.app_context():
        owner_id = db.session.scalars(select(User.id)).one()
    return {"status": "running", "phase": "checking", "percent": 10, "mapping": MAPPING, "user_id": owner_id,
            "started_at": datetime.now(timezone.utc).isoformat(), **extra}


def import_jobs(app) -> list[tuple]:
    """(status, error, actor, filename, total_rows) of every import_job row."""
    with app.app_context():
        return [(j.status, j.error, j.actor, j.filename, j.total_rows)
                for j in db.session.scalars(select(ImportJob).order_by(ImportJob.id))]


def test_progress_partial_polls_while_running(logged_in, app, tmp_path):
    token = uploaded(logged_in)
    files = ImportFiles(tmp_path / "imports")
    with files.lock(token, jobs.IMPORT_LOCK):  # the job is alive: it holds its lock
        files.write_state(token, jobs.IMPORT_STATE, running_state(
            app, phase="saving", percent=42, done=1200, total=3000))
        response = logged_in.get(f"/customers/import/{token}/progress", headers={"HX-Request": "true"})
        html = response.get_data(as_text=True)
        doc = parse(html)
        assert doc.find("html") is None and doc.elements[0].tag == "section"
        assert doc.elements[0]["id"] == "import-progress"
        assert doc.by_role("progressbar", "Import progress")["aria-valuenow"] == "42"
        assert "1,200 of 3,000 customers saved." in text_of(html)
        href = f"/customers/import/{token}/progress"
        refresh = doc.link("Refresh progress")
        assert (refresh["href"], refresh["hx-get"], refresh["hx-trigger"]) == (href, href, "every 500ms")
        full = parse(logged_in.get(f"/customers/import/{token}/progress").get_data())
        assert full.heading("Import customers").tag == "h1"
        assert full.by_role("progressbar", "Import progress")["aria-valuenow"] == "42"
        # A live job is never taken for a dead one, wherever its state is read.
        assert "Recent imports" not in logged_in.get("/customers/import").get_data(as_text=True)
        jobs.recover(files)
        assert import_jobs(app) == [] and files.read_state(token, jobs.IMPORT_STATE)["status"] == "running"


def test_a_job_whose_process_is_gone_is_recorded_as_failed_at_once(logged_in, app, tmp_path):
    token = uploaded(logged_in)
    files = ImportFiles(tmp_path / "imports")
    files.write_state(token, jobs.IMPORT_STATE, running_state(app))  # "running", reported just now, no lock
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.INTERRUPTED in html
    assert parse(html).link("Check the file again")["href"].startswith(f"/customers/import/{token}")
    assert import_jobs(app) == [("failed", jobs.INTERRUPTED, "owner@shop.test", "customers.csv", 4)]
    # Read again, here and by the upload page: still one row.
    logged_in.get(f"/customers/import/{token}/progress")
    page = text_of(logged_in.get("/customers/import").get_data(as_text=True))
    assert "Recent imports When By File Result" in page and f"customers.csv Failed: {jobs.INTERRUPTED}" in page
    assert len(import_jobs(app)) == 1


def test_an_interrupted_import_is_recorded_when_the_database_is_free_again(logged_in, app, tmp_path, monkeypatch):
    token = uploaded(logged_in)
    files = ImportFiles(tmp_path / "imports")
    files.write_state(token, jobs.IMPORT_STATE, running_state(app))
    real = imports.record_failure

    def busy(*args, **kwargs):
        """The database refuses the write (another import holds SQLite's write lock)."""
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(imports, "record_failure", busy)
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.INTERRUPTED in html  # said at once all the same
    assert import_jobs(app) == []
    monkeypatch.setattr(imports, "record_failure", real)
    assert jobs.INTERRUPTED in logged_in.get("/customers/import").get_data(as_text=True)
    assert [row[:2] for row in import_jobs(app)] == [("failed", jobs.INTERRUPTED)]


# Runs an import in a process of its own that stops while saving, as a server would be stopped mid-way: before
# it writes ("write"), after it has written one customer into its transaction ("mid-write"), or after its commit
# but before it could say so ("committed").
IMPORTING_PROCESS = """
import os, sys
from crm import create_app
from crm.imports import ImportFiles, batches, jobs, tables

url, folder, token, user_id, where, *mapping = sys.argv[1:]


def stall(*args, **kwargs):
    \"\"\"Saving that never ends: the test kills this process here, or closes its stdin when done with it.\"\"\"
    print("saving", flush=True)
    sys.stdin.read()
    os._exit(1)  # the test is over (or gone): stop without saving anything


def create_then_stall(*args, **kwargs):
    \"\"\"Write the first batch of new customers, then stall inside the open transaction.\"\"\"
    for written in real_create(*args, **kwargs):
        yield written
        stall()


real_create = tables.create
if where == "write":
    jobs.imports.write = stall
elif where == "mid-write":
    batches.CHUNK = 1
    tables.create = create_then_stall
else:
    jobs._imported = stall
app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "IMPORT_DIR": folder})
with app.app_context():
    jobs.start_import(app, ImportFiles(folder), token, mapping, int(user_id), sync=True)
"""


@pytest.fixture
def importing_process(app, database_url, tmp_path):
    """Start an import of `token` in another process; returns it once it is saving (the caller kills it)."""
    started = []

    def start(token: str, where: str = "write") -> subprocess.Popen:
        """The process, saving (and holding the import's lock), stalled `where` IMPORTING_PROCESS says."""
        with app.app_context():
            owner_id = db.session.scalars(select(User.id)).one()
        process = subprocess.Popen(
            [sys.executable, "-c", IMPORTING_PROCESS, database_url, str(tmp_path / "imports"), token,
             str(owner_id), where, *MAPPING], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent.parent)
        started.append(process)
        ready, _, _ = select_module.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        assert line == "saving\n", process.stderr.read() if process.poll() is not None else "no answer in 60 s"
        return process

    yield start
    for process in started:
        process.stdin.close()
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def kill_9(process: subprocess.Popen) -> None:
    """Stop a process as a crash or `kill -9` would: no clean-up of its own."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_an_import_killed_mid_way_is_recorded_as_failed(logged_in, app, importing_process):
    token = uploaded(logged_in)
    process = importing_process(token)
    # Alive: its progress is shown, and nothing says it failed.
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Saving customers" in html and "Import failed" not in html
    assert "Failed:" not in logged_in.get("/customers/import").get_data(as_text=True)
    assert import_jobs(app) == []

    kill_9(process)
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.INTERRUPTED in html
    assert f"customers.csv Failed: {jobs.INTERRUPTED}" in text_of(
        logged_in.get("/customers/import").get_data(as_text=True))
    assert import_jobs(app) == [("failed", jobs.INTERRUPTED, "owner@shop.test", "customers.csv", 4)]
    assert count_customers(app) == 0


def test_a_restarted_server_records_the_import_on_its_first_request(logged_in, app, database_url, tmp_path,
                                                                      importing_process):
    token = uploaded(logged_in)
    kill_9(importing_process(token))
    restarted = create_app(app_config(database_url, IMPORT_DIR=str(tmp_path / "imports")))
    # Commands such as `flask db upgrade` leave imports alone.
    assert restarted.test_cli_runner().invoke(args=["recompute-stats"]).exit_code == 0
    assert import_jobs(app) == []
    assert restarted.test_client().get("/login").status_code == 200  # any first request
    assert import_jobs(app) == [("failed", jobs.INTERRUPTED, "owner@shop.test", "customers.csv", 4)]
    state = ImportFiles(tmp_path / "imports").read_state(token, jobs.IMPORT_STATE)
    assert (state["status"], state["message"], state["recorded"]) == ("failed", jobs.INTERRUPTED, True)
    with restarted.app_context():
        db.session.remove()
        db.engine.dispose()


def restarted_server(database_url, tmp_path):
    """A new app on the same database and uploads, as after a restart; its first request has been made."""
    restarted = create_app(app_config(database_url, IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True))
    assert restarted.test_client().get("/login").status_code == 200  # any first request
    return restarted


def assert_database_sound(restarted) -> None:
    """The database file is intact (SQLite's integrity check) and recompute-stats finds nothing to fix."""
    with restarted.app_context():
        if db.session.get_bind().dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
        db.session.remove()
    result = restarted.test_cli_runner().invoke(args=["recompute-stats"])
    assert result.exit_code == 0 and "All customer figures were right" in result.output, result.output


def test_an_import_killed_mid_write_is_entirely_absent_after_a_restart(logged_in, app, database_url, tmp_path,
                                                                        importing_process):
    committed_customer(app, "Bob", "Brown", email="bob@example.com")
    token = uploaded(logged_in)
    kill_9(importing_process(token, "mid-write"))  # one new customer written, uncommitted
    restarted = restarted_server(database_url, tmp_path)
    assert_database_sound(restarted)
    with restarted.app_context():
        assert db.session.scalars(select(Customer.first_name)).all() == ["Bob"]
        assert db.session.scalar(select(func.count()).select_from(ImportChange)) == 0
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html and jobs.INTERRUPTED in html
    # "Import" can be started again, and this time it all goes in.
    logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING))
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Imported: 1 created, 1 updated, 0 skipped" in text_of(html)
    assert_database_sound(restarted)
    with restarted.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_import_killed_after_its_commit_is_shown_as_done(logged_in, app, database_url, tmp_path,
                                                            importing_process):
    token = uploaded(logged_in)
    kill_9(importing_process(token, "committed"))  # committed; its state still says "running"
    state = ImportFiles(tmp_path / "imports").read_state(token, jobs.IMPORT_STATE)
    assert state["status"] == "running"
    restarted = restarted_server(database_url, tmp_path)
    assert_database_sound(restarted)
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import finished" in html and "Imported: 2 created, 0 updated, 0 skipped" in text_of(html)
    assert parse(html).button("Undo this import")
    assert [row[:2] for row in import_jobs(app)] == [("done", None)]
    assert count_customers(app) == 2
    with restarted.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_interrupted_import_can_be_tried_again(logged_in, app, tmp_path):
    token = uploaded(logged_in)
    ImportFiles(tmp_path / "imports").write_state(token, jobs.IMPORT_STATE, running_state(app))
    logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING))
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Imported: 2 created, 0 updated, 0 skipped" in text_of(html)
    assert [row[:2] for row in import_jobs(app)] == [("failed", jobs.INTERRUPTED), ("done", None)]


def test_a_check_whose_process_is_gone_starts_again_at_once(logged_in, tmp_path):
    token = uploaded(logged_in)
    ImportFiles(tmp_path / "imports").write_state(token, jobs.check_name(MAPPING), {
        "status": "running", "percent": 30, "mapping": MAPPING,
        "heartbeat": time.time()})  # as if it reported just now; but no process holds its lock
    text = text_of(logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING)).get_data(as_text=True))
    assert "To create 2" in text and "Invalid rows 2" in text


def test_progress_before_confirming_goes_to_the_preview(logged_in):
    token = uploaded(logged_in)
    response = logged_in.get(f"/customers/import/{token}/progress")
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/import/{token}"


def test_a_failed_import_says_so_and_changes_nothing(logged_in, app, monkeypatch):
    token = uploaded(logged_in)
    logged_in.get(f"/customers/import/{token}", query_string=args(MAPPING))
    real_begin = imports.begin_write

    def racing_begin():
        """Another request takes one of the file's emails just before the import writes."""
        committed_customer(app, "Racer", email="bob@example.com")
        real_begin()

    monkeypatch.setattr(imports, "begin_write", racing_begin)
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Import failed" in html
    assert "Nothing was imported: while the import ran, another customer got an email" in html
    with app.app_context():
        assert [c.first_name for c in db.session.scalars(select(Customer))] == ["Racer"]
        job = db.session.scalars(select(ImportJob)).one()
        assert (job.status, job.created) == ("failed", 0) and job.error.startswith("Nothing was imported")
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(  # the sign-in is there
            AuditEvent.action.in_(CUSTOMER_ACTIONS))) == 0
    # Trying again (after checking again) works: Bob is now the Racer's update.
    monkeypatch.setattr(imports, "begin_write", real_begin)
    logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING))
    html = logged_in.get(f"/customers/import/{token}/progress").get_data(as_text=True)
    assert "Imported: 1 created, 1 updated, 0 skipped" in text_of(html)


def test_someone_elses_upload_is_not_found(logged_in, tmp_path):
    token = uploaded(logged_in)
    files = ImportFiles(tmp_path / "imports")
    files.write_state(token, "meta.json", {**files.meta(token), "user_id": 999})
    for url in (f"/customers/import/{token}", f"/customers/import/{token}/progress",
                f"/customers/import/{token}/invalid.csv"):
        assert logged_in.get(url).status_code == 404
    assert logged_in.post(f"/customers/import/{token}/import", data=args(MAPPING)).status_code == 404


@pytest.mark.parametrize("token", ["nope", "../../etc", "a" * 44, "x" * 40])
def test_unknown_tokens_are_not_found(logged_in, token):
    assert logged_in.get(f"/customers/import/{token}").status_code == 404


def test_old_uploads_are_removed(logged_in, tmp_path):
    token = uploaded(logged_in)
    folder = Path(tmp_path / "imports" / token)
    assert (folder / "upload.csv").exists()
    old = time.time() - 2 * 24 * 3600
    os.utime(folder, (old, old))
    uploaded(logged_in)
    assert not folder.exists()
