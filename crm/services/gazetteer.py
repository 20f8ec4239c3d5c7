"""The bundled gazetteer (crm/data/gazetteer.csv.gz) and loading it into the locality table.

The file is loaded when the task worker starts (and by `flask --app crm load-gazetteer`), rather than by
migration 0005 or by a suggestion request:

- The file changes with releases, a migration runs once. Comparing the file's sha256 with the one kept in
  gazetteer_source reloads a changed file with no manual step and no new migration: a release's
  `make run` restarts the worker, which loads it.
- Migrations stay frozen schema changes that don't depend on what today's data file holds.
- Address suggestions only read, like every GET; the cost, well under a second for about 23,000 rows, falls
  on the worker's start-up.

Concurrent loads (several workers starting) are serialised by a lock in the process and by the database's own
write lock (BEGIN IMMEDIATE on SQLite, a transaction-level advisory lock on PostgreSQL); the version is
checked again under them, so the file is loaded once. The load runs in its own connection and transaction,
so it never commits the caller's unfinished work.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import threading
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select, text

from ..extensions import db
from ..models import GazetteerSource, Locality, utcnow
from .addresses import locality_search_text

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "gazetteer.csv.gz"
COLUMNS = ("country", "state", "city", "postcode")
# Any fixed number: the key of the PostgreSQL advisory lock that serialises loads ("crmgz").
ADVISORY_LOCK_KEY = 0x63726D677A
_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def file_digest(path: Path = DATA_FILE) -> str:
    """The sha256 of a gazetteer file (read once per process: the file only changes with a release)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(path: Path = DATA_FILE) -> list[dict]:
    """The file's localities as locality rows, with their search text."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path.name}: expected the columns {', '.join(COLUMNS)}")
        return [{**row, "search_text": locality_search_text(row["country"], row["state"], row["city"],
                                                             row["postcode"])}
                for row in reader]


def loaded_digest() -> str | None:
    """The sha256 of the file the locality table was loaded from, or None before the first load."""
    return db.session.scalar(select(GazetteerSource.sha256).where(GazetteerSource.name == DATA_FILE.name))


def ensure_loaded(path: Path = DATA_FILE) -> bool:
    """Load the gazetteer file when the database holds another version of it or none; True if it loaded."""
    digest = file_digest(path)
    if loaded_digest() == digest:
        return False
    with _load_lock:
        rows = read_rows(path)
        engine = db.engine
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                # Python's sqlite3 would begin a deferred transaction, which takes the write lock only at
                # the first write, after the version was read; BEGIN IMMEDIATE takes it before.
                conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    loaded = _replace(conn, rows, path.name, digest)
                except BaseException:
                    conn.exec_driver_sql("ROLLBACK")
                    raise
                conn.exec_driver_sql("COMMIT")
                return loaded
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            return _replace(conn, rows, path.name, digest)


def _replace(conn: Connection, rows: list[dict], name: str, digest: str) -> bool:
    """Swap the locality rows for the file's, unless another process just did; True if it did."""
    stored = conn.scalar(select(GazetteerSource.sha256).where(GazetteerSource.name == name))
    if stored == digest:
        return False
    conn.execute(delete(Locality))
    conn.execute(insert(Locality), rows)
    if conn.dialect.name == "sqlite":
        # locality_fts has no triggers (migration 0005): one rebuild beats 21,000 per-row index updates.
        conn.exec_driver_sql("INSERT INTO locality_fts(locality_fts) VALUES ('rebuild')")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE locality")  # fresh statistics, so the planner picks the trigram index
    conn.execute(delete(GazetteerSource).where(GazetteerSource.name == name))
    conn.execute(insert(GazetteerSource).values(name=name, sha256=digest, rows=len(rows), loaded_at=utcnow()))
    return True

