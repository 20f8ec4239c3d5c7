"""`flask --app crm backup [--to DIR]`, `flask --app crm restore FILE [--force]` and
`flask --app crm copy-database --to URL` (moving the shop to another database, e.g. SQLite to PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import click
import flask_migrate
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .. import config
from ..extensions import db
from ..services import backups, copying


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _known_revisions() -> set[str]:
    """Every migration this version of crm has: a backup at one of them can be upgraded to the newest."""
    directory = current_app.extensions["migrate"].directory
    return {script.revision for script in ScriptDirectory(directory).walk_revisions()}


def _size(size: int) -> str:
    """Bytes as the terminal shows them: 12.3 MB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return ""


@click.command("backup")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the backup to (default: CRM_BACKUP_DIR, else the instance folder's backups/).")
@with_appcontext
def backup(target: Path | None) -> None:
    """Write a checked copy of the database, named with the time (UTC), keep the newest CRM_BACKUP_KEEP
    (14) and print the copy's path. The shop keeps running meanwhile."""
    try:
        made, pruned = backups.make(_url(), target.expanduser().resolve() if target else None)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {_size(made.size)}, integrity checked.", err=True)
    for path in pruned:
        click.echo(f"Deleted the old backup {path}", err=True)
    click.echo(str(made.path))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore even while another process (a running server) has the database open.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Replace the database with a backup FILE and upgrade it to this version's schema; the database it
    replaces is kept aside in the backup folder first. Stop the server before, start it after."""
    db.session.remove()
    db.engine.dispose()  # this process's own connections are no server: it looks only for other ones
    try:
        restored = backups.restore(_url(), file, _known_revisions(), force=force)
    except backups.BackupError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from exc
    if restored.kept_aside:
        click.echo(f"Kept the database it replaced as {restored.kept_aside}")
    click.echo(f"Restored {restored.source} (migration {restored.revision}).")
    db.engine.dispose()
    flask_migrate.upgrade()
    click.echo("Upgraded it to this version's schema.")


@click.command("copy-database")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty database to copy into, e.g. postgresql://crm:secret@localhost/crm.")
@click.option("--batch-size", default=copying.BATCH, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows written per statement.")
@click.option("--force", is_flag=True, help="Copy even while another process (a running server) has this "
                                            "database open; what it writes meanwhile may be missed.")
@with_appcontext
def copy_database(target: str, batch_size: int, force: bool) -> None:
    """Copy every table of this database into the empty database at URL, ids kept, after migrating it to
    the same revision; then check that every table has as many rows there. Stop the server and the worker
    first, and point CRM_DATABASE_URL at the copy afterwards."""
    source_url = _url()
    target = config.database_url({"DATABASE_URL": target}, current_app.instance_path)
    if make_url(target) == make_url(source_url):
        raise click.UsageError("The target is this database: give the URL of another, empty one.")
    _check_source(source_url, force)
    source_engine = db.engine
    target_app = _migrated(target)
    with target_app.app_context():
        try:
            copied = _copy(source_engine, db.engine, batch_size)
        finally:
            db.engine.dispose()
    click.echo(f"Copied {sum(copied.values()):,} rows in {len(copied)} tables to "
               f"{make_url(target).render_as_string(hide_password=True)}; every table's count matches.")


def _check_source(url: str, force: bool) -> None:
    """This database must be at the newest migration, and (unless forced) nobody else may be using it."""
    db.session.remove()
    db.engine.dispose()  # this process's own connections are no server: it looks only for other ones
    holder = None if force else backups.holders(url)
    if holder:
        raise click.ClickException(f"Not copied: {holder}. Stop the server and the worker first, or use --force.")
    with db.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()
    if revision != head:
        raise click.ClickException(f"This database is at migration {revision}, not {head}: "
                                   "run `flask --app crm db upgrade` first.")


def _migrated(url: str):
    """An app on the target database, migrated to the newest revision (as the source is)."""
    from .. import create_app

    target_app = create_app({**current_app.config, "DATABASE_URL": url})
    with target_app.app_context():
        try:
            flask_migrate.upgrade()
        except (SQLAlchemyError, CommandError) as exc:
            raise click.ClickException(f"Could not prepare the target database: {exc}") from exc
        finally:
            db.engine.dispose()
    return target_app


def _copy(source_engine, target_engine, batch_size: int) -> dict[str, int]:
    """Copy in one target transaction, read from one source snapshot; counts are compared before it commits."""
    isolation = {"isolation_level": "REPEATABLE READ"} if source_engine.dialect.name == "postgresql" else {}
    with source_engine.connect().execution_options(**isolation) as source:
        try:
            with target_engine.begin() as conn:
                return copying.copy_all(source, conn, batch_size, lambda name, rows: click.echo(f"{name}: {rows:,}"))
        except copying.CopyError as exc:
            raise click.ClickException(f"Not copied: {exc}") from exc
        except SQLAlchemyError as exc:
            raise click.ClickException(f"The copy failed and was rolled back: {exc}") from exc
