"""Tags in CSV files: the export's tags column, the import's (adds, or exactly the cell's when overwriting),
the check's list of changes, the trail, undo, and a round trip through both."""

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm import imports
from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, ImportJob, Tag
from crm.services import exports, tags
from crm.services.tags.imported import read_cell

from . import factories
from .html import parse
from .test_import_pages import args, uploaded
from .test_imports import analysis, import_text, problems


@pytest.fixture(autouse=True)
def import_settings(app, tmp_path):
    """Uploads in a temporary folder; checks, imports and undos run inside the request."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def names_of(email: str) -> list[str]:
    db.session.expire_all()
    customer = db.session.scalars(select(Customer).where(Customer.email == email)).one()
    return [t.name for t in customer.tags]


def counts_are_kept() -> bool:
    return all(t.customers == db.session.scalar(select(func.count()).where(CustomerTag.tag_id == t.id))
               for t in db.session.scalars(select(Tag)))


def test_a_cell_reads_semicolons_and_commas_once_each():
    assert read_cell("VIP; wholesale, vip ;; Local ") == ("VIP", "wholesale", "Local")
    assert read_cell(" ; ") == ()


def test_the_export_has_a_tags_column(ctx):
    ada = factories.customer("Ada", "L", email="ada@example.com")
    factories.customer("Bo", "N", email="bo@example.com")
    for name in ("Wholesale", "=Formula", "a-first"):
        tags.add(ada, tags.get_or_create(name), None)
    db.session.commit()
    text = "".join(exports.rows(exports.ExportFilter(), "AU", "AUD"))
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert exports.COLUMNS[-1] == "tags"
    assert [r["tags"] for r in rows] == ["'=Formula; a-first; Wholesale", ""]


def test_import_adds_tags_and_makes_new_ones(ctx):
    factories.customer("Ada", "L", email="ada@example.com")
    tags.add(db.session.scalars(select(Customer)).one(), tags.get_or_create("Local"), None)
    db.session.commit()
    result = import_text("email,tags\nada@example.com,\"VIP, local\"\nnew@example.com,Wholesale\n")
    assert (result.create, result.update) == (1, 1)
    assert names_of("ada@example.com") == ["Local", "VIP"] and names_of("new@example.com") == ["Wholesale"]
    assert counts_are_kept()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tag").order_by(AuditEvent.id)).all()
    assert [(e.old_value, e.new_value) for e in events][-2:] == [(None, "Wholesale"), ("Local", "Local; VIP")]
    assert events[-1].detail.startswith("Tags from “customers.csv” (import #")


def test_without_overwrite_an_import_never_removes_and_a_blank_cell_changes_nothing(ctx):
    ada = factories.customer("Ada", "L", email="ada@example.com")
    tags.add(ada, tags.get_or_create("Local"), None)
    db.session.commit()
    again = analysis("email,tags\nada@example.com,local\nada2@example.com,\n")
    assert (again.update, again.unchanged) == (0, 1)
    assert import_text("email,tags\nada@example.com,\n", overwrite=True).update == 0
    assert names_of("ada@example.com") == ["Local"]


def test_overwrite_makes_the_tags_exactly_the_cells(ctx):
    ada = factories.customer("Ada", "L", email="ada@example.com")
    for name in ("Local", "Old"):
        tags.add(ada, tags.get_or_create(name), None)
    db.session.commit()
    import_text("email,tags\nada@example.com,LOCAL; New\n", overwrite=True)
    assert names_of("ada@example.com") == ["Local", "New"]
    assert tags.find("old").customers == 0 and counts_are_kept()


@pytest.mark.parametrize(("cell", "message"), [
    ("x" * 41, "Keep a tag name to 40 characters (this one has 41)"),
    ("ok; bad\x1b", "Remove the invisible control characters"),
])
def test_a_bad_tag_makes_the_row_invalid(ctx, cell, message):
    result = analysis(f"email,tags\nada@example.com,{cell}\n")
    assert result.invalid == 1 and len(problems(result)) == 1
    row, column, text = problems(result)[0]
    assert (row, column) == (2, "tags") and text.endswith(message) and text.startswith("Tag “")


def test_export_then_import_reads_back_unchanged(ctx):
    ada = factories.customer("Ada", "L", email="ada@example.com")
    for name in ("Wholesale", "Zoë's", "VIP"):
        tags.add(ada, tags.get_or_create(name), None)
    db.session.commit()
    text = "".join(exports.rows(exports.ExportFilter(), "AU", "AUD"))
    for overwrite in (False, True):
        result = analysis(text[1:], overwrite=overwrite)
        assert (result.update, result.unchanged, result.invalid) == (0, 1, 0)
    tags.remove(ada, tags.find("vip"), None)
    db.session.commit()
    import_text(text[1:])
    assert names_of("ada@example.com") == ["VIP", "Wholesale", "Zoë's"]


def test_the_check_lists_tag_changes_and_undo_takes_them_back(logged_in, app):
    with app.app_context():
        ada = factories.customer("Ada", "L", email="ada@example.com")
        tags.add(ada, tags.get_or_create("Local"), None)
        tags.add(ada, tags.get_or_create("Old"), None)
        db.session.commit()
    token = uploaded(logged_in, "email,tags\nada@example.com,Local; VIP\n")
    query = {**args(["email", "tags"]), "overwrite": "1"}
    doc = parse(logged_in.get(f"/customers/import/{token}", query_string=query).get_data())
    table = doc.by_role("table", "Changes")
    rows = [[c.text for c in row.find_all() if c.tag in ("th", "td")] for row in table.find_all("tr")]
    assert ["Ada L", "Tags", "Local; Old", "changed to Local; VIP"] in rows
    assert logged_in.post(f"/customers/import/{token}/import", data=query).status_code == 303
    with app.app_context():
        assert names_of("ada@example.com") == ["Local", "VIP"]
        job_id = db.session.scalars(select(ImportJob.id)).one()
    assert logged_in.post(f"/customers/import/jobs/{job_id}/undo").status_code == 303
    with app.app_context():
        assert names_of("ada@example.com") == ["Local", "Old"] and counts_are_kept()
        undone = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "undo",
                                                             AuditEvent.field == "Tags")).all()
        assert len(undone) == 2


def test_a_shopify_tags_column_imports(ctx):
    source = imports.read_csv((Path(__file__).parent / "data" / "shopify_customers.csv").read_bytes())
    plan = imports.analyse(source, imports.guess_mapping(source.header), "AU", keep_plan=True)
    imports.begin_write()
    imports.write(plan, None, token="t" * 43, filename="customers_export.csv")
    db.session.commit()
    assert names_of("chloe.nguyen@example.com.au") == ["VIP", "wholesale"], plan.summary()
