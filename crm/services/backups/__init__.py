"""Backups of the shop's database: made while the shop keeps running, checked, named with the time, pruned;
and restores of them, which keep the database they replace aside first.

SQLite goes through the online backup API (`sqlite`), PostgreSQL through pg_dump and pg_restore
(`postgresql`). Upgrading restored data to the current schema is the caller's (the `restore` command's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from flask import current_app
from sqlalchemy.engine import make_url

from . import files, postgresql, sqlite
from .errors import BackupError, BadBackup, InUse
from .files import BackupFile, newest

__all__ = ["BackupError", "BackupFile", "BadBackup", "InUse", "Restored", "folder", "holders", "keep", "make",
           "newest", "restore"]
ASIDE = "-before-restore"  # the copy restore keeps of the database it replaced: never pruned


@dataclass(frozen=True)
class Restored:
    """A finished restore: the file restored, its migration, and where the replaced database was kept."""

    source: Path
    revision: str
    kept_aside: Path | None


def folder() -> Path:
    """Where backups go: BACKUP_DIR, else the instance folder's backups/."""
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured or Path(current_app.instance_path) / "backups").expanduser().resolve()


def keep() -> int:
    """How many backups of this database's kind are kept (BACKUP_KEEP, at least 1)."""
    value = current_app.config.get("BACKUP_KEEP", 14)
    try:
        return max(1, int(value))
    except (TypeError, ValueError) as exc:
        raise BackupError(f"CRM_BACKUP_KEEP must be a whole number, not {value!r}.") from exc


def _engine(url: str) -> ModuleType:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return sqlite
    if backend == "postgresql":
        return postgresql
    raise BackupError(f"Backups of {backend} databases are not supported.")


def holders(url: str) -> str | None:
    """Who else has the database open, in words, or None (call it before this process opens it)."""
    return _engine(url).holders(url)


def _copy_checked(engine: ModuleType, url: str, final: Path) -> Path:
    """Copy the database to `final` through a hidden partial file, check it, then give it its name."""
    partial = final.with_name(f".{final.name}.partial")
    try:
        engine.copy(url, partial)
        engine.check(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    files.publish(partial, final)
    return final


def make(url: str, target: Path | None = None, keep_newest: int | None = None) -> tuple[BackupFile, list[Path]]:
    """Back the database up into `target` (the backup folder by default) and keep the newest N there.

    Returns the new backup and the old ones deleted.
    """
    engine = _engine(url)
    where = files.private_folder(target or folder())
    backup = files.parse(_copy_checked(engine, url, files.fresh_path(where, engine.SUFFIX)))
    pruned = files.prune(where, engine.SUFFIX, keep() if keep_newest is None else keep_newest)
    return backup, pruned


def restore(url: str, source: Path, known_revisions: set[str], force: bool = False) -> Restored:
    """Check the file, make sure nobody else holds the database (unless forced), keep the database aside,
    and load the file into it. The file is checked before anything changes."""
    engine = _engine(url)
    source = source.expanduser().resolve()
    engine.check(source)
    revision = engine.revision(source)
    if revision not in known_revisions:
        raise BadBackup(f"{source} was made by a newer version of crm (migration {revision}): "
                        "upgrade crm first, then restore it.")
    if not force:
        holder = engine.holders(url)
        if holder:
            raise InUse(f"The database is in use: {holder}. Stop the server first, "
                        "or pass --force to restore while it runs.")
    aside = _keep_aside(engine, url)
    engine.load(url, source)
    return Restored(source, revision, aside)


def _keep_aside(engine: ModuleType, url: str) -> Path | None:
    """A checked copy of the database about to be replaced, beside the backups (none when there is no
    SQLite file yet)."""
    if engine is sqlite and not sqlite.database_path(url).exists():
        return None
    where = files.private_folder(folder())
    return _copy_checked(engine, url, files.fresh_path(where, engine.SUFFIX, ASIDE))
