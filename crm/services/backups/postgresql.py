"""PostgreSQL backups: pg_dump's custom format, checked with pg_restore --list, restored in one transaction.

The binaries come from PG_BIN_DIR, else the newest /usr/lib/postgresql/<version>/bin, else PATH; pg_dump
must be at least the server's version. The password, if the URL has one, goes in PGPASSWORD, never in argv.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ...extensions import db
from . import files
from .errors import BackupError, BadBackup

SUFFIX = "dump"
HEADER = b"PGDMP"
# Restoring replaces the whole schema: objects a newer migration added must go too, or upgrading the
# restored data would find them in its way. psql runs this and the dump as one transaction.
CLEAR_SCHEMA = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"


def binary(name: str) -> str:
    """The path of pg_dump, pg_restore or psql."""
    folder = current_app.config.get("PG_BIN_DIR")
    if folder:
        return str(Path(folder) / name)
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    found = installed[-1] if installed else shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client programs or set CRM_PG_BIN_DIR.")
    return found


def _version(path: str) -> tuple:
    """Sort /usr/lib/postgresql/9.6 before /usr/lib/postgresql/16."""
    part = Path(path).parent.parent.name
    return tuple(int(p) if p.isdigit() else 0 for p in part.split("."))


def _connection(url: str) -> tuple[str, dict]:
    """A libpq URI without the password, and the environment that carries the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict, what: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, **kwargs)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip() if isinstance(result.stderr, bytes) \
            else (result.stderr or "").strip()
        raise BackupError(f"{what} failed: {message or f'exit status {result.returncode}'}")
    return result


def copy(url: str, target: Path) -> None:
    """pg_dump -Fc of the database into `target`: one snapshot while the shop keeps writing."""
    uri, env = _connection(url)
    _run([binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
          f"--dbname={uri}"], env, "pg_dump")


def check(path: Path) -> None:
    """Raise BadBackup unless pg_restore reads the whole file (--list, then every data block) and it holds a
    crm schema."""
    files.expect_header(path, HEADER, "a PostgreSQL custom-format dump (pg_dump -Fc)")
    try:
        listed = _run([binary("pg_restore"), "--list", str(path)], dict(os.environ), "pg_restore --list",
                      text=True).stdout
        # The table of contents comes first in the file: read the data too, so a cut-off copy fails here.
        _run([binary("pg_restore"), "--file=/dev/null", str(path)], dict(os.environ), "pg_restore")
    except BackupError as exc:
        raise BadBackup(f"{path} can't be read: {exc}.") from exc
    if " TABLE DATA public alembic_version " not in listed:
        raise BadBackup(f"{path} is a PostgreSQL dump but not of a crm database (it has no migration version).")


def revision(path: Path) -> str:
    """The migration the dump's schema is at, read from its alembic_version data."""
    script = _run([binary("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
                  dict(os.environ), "pg_restore", text=True).stdout
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            if lines[i + 1] != "\\.":
                return lines[i + 1].strip()
    raise BadBackup(f"{path} has no migration version.")


def holders(url: str) -> str | None:
    """Who else is connected to the database (pg_stat_activity), in words, or None when nobody is."""
    db.engine.dispose()  # idle connections in this process's own pool are not a server
    rows = db.session.execute(text(
        "SELECT coalesce(nullif(application_name, ''), 'a client') || ' from ' || coalesce(host(client_addr),"
        " 'a local socket') FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalars().all()
    db.session.rollback()
    db.session.close()
    if not rows:
        return None
    return f"{len(rows)} other connection{'s' if len(rows) != 1 else ''} ({', '.join(sorted(set(rows))[:3])})"


def load(url: str, path: Path) -> None:
    """Replace the database's schema and data with the dump's, all or nothing (psql --single-transaction)."""
    uri, env = _connection(url)
    db.engine.dispose()  # our own pooled connections would hold locks the DROP SCHEMA waits for
    script = subprocess.Popen([binary("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _run([binary("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
              f"--command={CLEAR_SCHEMA}", "--file=-", f"--dbname={uri}"], env, "Restoring", stdin=script.stdout)
    finally:
        script.stdout.close()
        script.wait()
    if script.returncode != 0:
        raise BackupError(f"pg_restore failed: {script.stderr.read().decode(errors='replace').strip()}")
