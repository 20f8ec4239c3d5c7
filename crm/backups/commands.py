"""`flask --app crm backup [--to DIR]` and `flask --app crm restore FILE [--force]`."""

from __future__ import annotations

from pathlib import Path

import click
import flask_migrate
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..services import backups


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
