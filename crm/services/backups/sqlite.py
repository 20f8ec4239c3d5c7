"""SQLite backups: the online backup API (a consistent copy while the shop keeps writing), integrity_check,
and restoring through the same API into the live file.

The shop's database runs in WAL mode (crm/extensions.py), so a backup's read transaction doesn't hold up the
server's writes, and the copy is the database as of the moment that transaction started.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from . import files
from .errors import BackupError, BadBackup

SUFFIX = "sqlite"
HEADER = b"SQLite format 3\x00"
# In WAL mode every connection holds a shared lock on this byte of the -shm file for as long as it has the
# database open (SQLite's "DMS" lock, os_unix.c: 120 bytes of WAL locks, then 8 read marks, then this).
DMS_BYTE = 128
CHECK_CACHE_KIB = -65536  # 64 MB of page cache for the check (negative: KiB, as PRAGMA cache_size takes it)
CHECK_MMAP_BYTES = 1 << 30  # the file read through the OS's page cache, up to 1 GB of it


def database_path(url: str) -> Path:
    """The database file a sqlite:/// URL names."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"Can't back up the SQLite database {database or '(in memory)'!r}: it is not a file.")
    return Path(database).resolve()


def copy(url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` (created 0600), in rollback-journal mode so it
    opens read-only anywhere without -wal and -shm files beside it. The live database is opened read-only:
    a backup never writes it (not even the checkpoint a last connection to close would run)."""
    source_path = database_path(url)
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path} to back up.")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    with closing(_read_only(source_path)) as source, closing(sqlite3.connect(target)) as out:
        source.execute("PRAGMA busy_timeout = 30000")
        source.backup(out)  # all pages in one step: one read transaction, one moment
        out.execute("PRAGMA journal_mode = DELETE")


def check(path: Path) -> None:
    """Raise BadBackup unless the file is a whole SQLite database that holds a crm schema."""
    files.expect_header(path, HEADER, "a SQLite database")
    try:
        with closing(_read_only(path)) as conn:
            # integrity_check walks every index against its table: with the default 2 MB page cache it reads
            # the same pages from the OS again and again (22 s for the 100,000-customer shop; 8 s like this).
            conn.execute(f"PRAGMA cache_size = {CHECK_CACHE_KIB}")
            conn.execute(f"PRAGMA mmap_size = {CHECK_MMAP_BYTES}")
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise BadBackup(f"{path} is damaged: {'; '.join(result[:3])}.")
            _revision(conn, path)
    except sqlite3.DatabaseError as exc:
        raise BadBackup(f"{path} can't be read as a SQLite database: {exc}.") from exc


def revision(path: Path) -> str:
    """The migration the backup's schema is at (alembic_version)."""
    with closing(_read_only(path)) as conn:
        return _revision(conn, path)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _revision(conn: sqlite3.Connection, path: Path) -> str:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        row = None
    if not row:
        raise BadBackup(f"{path} is a SQLite database but not a crm one (it has no migration version).")
    return row[0]


def holders(url: str) -> str | None:
    """Who else has the database open, in words, or None when nobody does.

    Any other process with an open connection holds a shared lock on the -shm file's DMS byte; taking it
    exclusively fails while one does. Call this before this process opens the database itself: POSIX locks
    belong to the process, so releasing ours would release its own connections' locks as well.
    """
    shm = Path(f"{database_path(url)}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return None  # nobody has had the database open in WAL mode since it was last closed cleanly
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, DMS_BYTE)
    except OSError:
        return "another process (a running crm server, a backup, a sqlite3 shell) has the database open"
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, DMS_BYTE)
        return None
    finally:
        os.close(fd)


def load(url: str, path: Path) -> None:
    """Replace the live database's content with the backup's, in one write transaction (the backup API)."""
    with closing(_read_only(path)) as source, closing(sqlite3.connect(database_path(url), timeout=30)) as live:
        live.execute("PRAGMA busy_timeout = 30000")
        source.backup(live)
