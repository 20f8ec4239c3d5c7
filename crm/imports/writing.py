"""Writing a kept plan in one transaction: new customers, changes, the trail and the import's record.

`begin_write` starts the transaction; `write` then writes the plan with a few batched statements (100,000
rows is a handful of executemany calls, not 100,000 ORM flushes). Per-row triggers that would make a big
import slow are set aside inside the same transaction and their work done once per batch (SQLite's search
index) or once at the end (PostgreSQL's kept counts), so a failed import rolls them back with everything else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import chain

from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool

from ..extensions import db
from ..models import Customer, ImportJob, User, utcnow
from ..services import audit, insights, serial, stats
from ..services.shop import get_settings
from . import tables
from .batches import chunks
from .plan import Analysis, Progress


class ImportConflict(RuntimeError):
    """The shop's customers changed between the check and the write in a way the import can't follow."""


# ---- SQLite: the write lock and the statement journals ------------------------------------------------------
# Every row the import inserts fires the segment and location count triggers, and each trigger call keeps a
# statement journal; in memory (PRAGMA temp_store) instead of temporary files that halves the time of a
# 100,000-row write on SQLite. The import's connection gets it for its transaction and back afterwards.
_TEMP_STORE = "crm_import_temp_store"


@event.listens_for(Pool, "checkin")
def _restore_temp_store(dbapi_connection, record) -> None:
    """Give a connection the import used its own temp_store setting back (its transaction is over by now)."""
    previous = record.info.pop(_TEMP_STORE, None)
    if previous is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA temp_store = {int(previous)}")


def begin_write() -> None:
    """Start the import's write transaction: on SQLite take the write lock first (BEGIN IMMEDIATE).

    Everything read before was committed, so ids handed out below can't collide with another writer's.
    """
    db.session.commit()
    connection = db.session.connection()
    record = connection.connection
    dbapi_connection = record.driver_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        # PostgreSQL: the kept segment counts first, in the order every customer write takes them, so an
        # import and a checkout order at the same moment wait for each other instead of deadlocking.
        serial.lock_segment_counts()
        return
    # Nothing has run in this transaction yet, so SQLite hasn't begun one: the pragma can still change.
    if _TEMP_STORE not in record.info:
        record.info[_TEMP_STORE] = dbapi_connection.execute("PRAGMA temp_store").fetchone()[0]
        dbapi_connection.execute("PRAGMA temp_store = MEMORY")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# ---- SQLite: the search index ----------------------------------------------------------------------------------
# SQLite keeps its FTS5 search tables in step through per-row triggers (migrations 0002 and 0005). Inside
# one big statement batch each trigger call flushes the index anew, which makes 100,000 inserts several
# times slower; like the gazetteer loader, the import fills the index itself, one statement per batch. It
# drops these triggers inside its own transaction and creates them again before committing (SQLite's DDL is
# transactional: a failed import gets them back with the rollback). Only triggers exactly as those migrations
# made them are touched: if one ever changes, the import leaves them all alone and is merely slower.
_FTS_TRIGGERS = {
    "customer_fts_insert": (
        "CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN "
        "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    "customer_fts_update": (
        "CREATE TRIGGER customer_fts_update AFTER UPDATE OF search_text ON customer BEGIN "
        "INSERT INTO customer_fts(customer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    "address_fts_insert": (
        "CREATE TRIGGER address_fts_insert AFTER INSERT ON address BEGIN "
        "INSERT INTO address_fts(rowid, street, city, state, postcode) "
        "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
    "address_fts_update": (
        "CREATE TRIGGER address_fts_update AFTER UPDATE OF street, city, state, postcode ON address BEGIN "
        "INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
        "VALUES ('delete', old.id, old.street, old.city, old.state, old.postcode); "
        "INSERT INTO address_fts(rowid, street, city, state, postcode) "
        "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
}


class SearchIndex:
    """The import's own upkeep of SQLite's search tables while their triggers are set aside (see above)."""

    def __init__(self):
        """Set the triggers aside when they are the known ones (SQLite only); else do nothing at all."""
        self.connection = db.session.connection()
        self.active = False
        if self.connection.dialect.name != "sqlite":
            return
        names = ", ".join(f"'{name}'" for name in _FTS_TRIGGERS)
        found = dict(self.connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})").all())
        if found != _FTS_TRIGGERS:
            return
        for name in _FTS_TRIGGERS:
            self.connection.exec_driver_sql(f"DROP TRIGGER {name}")
        self.active = True

    def _run(self, sql: str, ids: list[int]) -> None:
        """Run one index statement over some ids, while the triggers are set aside."""
        if self.active and ids:
            self.connection.execute(text(sql).bindparams(bindparam("ids", expanding=True)), {"ids": ids})

    def add_customers(self, ids: list[int]) -> None:
        """Index these customers' current search text."""
        self._run("INSERT INTO customer_fts(rowid, search_text) SELECT id, search_text FROM customer "
                  "WHERE id IN :ids", ids)

    def drop_customers(self, ids: list[int]) -> None:
        """Take these customers' current search text out of the index (before it changes)."""
        self._run("INSERT INTO customer_fts(customer_fts, rowid, search_text) "
                  "SELECT 'delete', id, search_text FROM customer WHERE id IN :ids", ids)

    def add_addresses(self, customer_ids: list[int]) -> None:
        """Index these customers' addresses as they are now."""
        self._run("INSERT INTO address_fts(rowid, street, city, state, postcode) "
                  "SELECT id, street, city, state, postcode FROM address WHERE customer_id IN :ids", customer_ids)

    def drop_addresses(self, customer_ids: list[int]) -> None:
        """Take these customers' addresses out of the index (before they change)."""
        self._run("INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
                  "SELECT 'delete', id, street, city, state, postcode FROM address WHERE customer_id IN :ids",
                  customer_ids)

    def restore(self) -> None:
        """Put the triggers back, in the same transaction."""
        if self.active:
            for sql in _FTS_TRIGGERS.values():
                self.connection.exec_driver_sql(sql)
            self.active = False


# ---- PostgreSQL: the kept counts -------------------------------------------------------------------------------
# PostgreSQL keeps the segment and location counts through per-row triggers (migrations 0003 and 0008) that
# update a few shared rows. Inside one transaction each such update leaves a row version the next one must
# step over, so 100,000 rows take quadratic time (some 20 minutes). A big import on PostgreSQL switches these
# two triggers off inside its transaction (writers to customer and address wait for the import meanwhile;
# readers don't), counts again with the services that own the counts, and switches them back on before it
# commits. A small import keeps them: recounting a whole shop would cost more than it saves.
# (table, trigger) -> the service that counts again what the trigger keeps.
_PG_COUNT_TRIGGERS = {
    ("customer", "segment_count_track"): stats.recompute_segment_counts,
    ("address", "location_count_address"): insights.rebuild_location_counts,
}
BULK_ROWS = 2_000


class _CountTriggers:
    """PostgreSQL, big imports: the count triggers set aside, and the counts rebuilt at the end (see above)."""

    def __init__(self, rows: int):
        """Switch the triggers off when the import writes at least BULK_ROWS rows on PostgreSQL."""
        self.off: list[tuple[str, str]] = []
        connection = db.session.connection()
        if connection.dialect.name != "postgresql" or rows < BULK_ROWS:
            return
        enabled = set(connection.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'")).all())
        wanted = [pair for pair in _PG_COUNT_TRIGGERS if pair in enabled]
        if not wanted:
            return
        try:
            with db.session.begin_nested():  # without the right to alter the tables, keep the triggers
                connection.exec_driver_sql("LOCK TABLE customer, address IN SHARE ROW EXCLUSIVE MODE")
                for table, name in wanted:
                    connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        except DBAPIError:
            return
        self.off = wanted

    def restore(self) -> None:
        """Count again with the owners' services, then switch the triggers back on (same transaction)."""
        if not self.off:
            return
        for pair in self.off:
            _PG_COUNT_TRIGGERS[pair]()
        db.session.flush()
        for table, name in self.off:
            db.session.connection().exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        self.off = []


# ---- the write ---------------------------------------------------------------------------------------------------


def write(plan: Analysis, user: User | None, *, token: str, filename: str,
          progress: Progress | None = None) -> ImportJob:
    """Write a kept plan in the current transaction (after begin_write): new customers, changes, trail, job.

    Raises ImportConflict when a customer to update was deleted or anonymized since the check; the caller
    rolls back, so nothing is written at all.
    """
    report = progress or (lambda _done, _total: None)
    now = utcnow()
    job = ImportJob(token=token, user=user, actor=audit.actor_name(user), filename=filename[:255], status="done",
                    total_rows=plan.rows, created=plan.create, updated=plan.update, skipped=plan.skip,
                    invalid=plan.invalid, started_at=now, changes_kept=True)
    db.session.add(job)
    db.session.flush()
    trail = tables.Trail(user.id if user is not None else None, job.actor, now, f"“{filename}” (import #{job.id})",
                         job.id, get_settings().country)
    # Before anything is inserted: on SQLite a new customer could take a deleted customer's id.
    _check_still_there(c.customer_id for c in plan.changes)
    counts = _CountTriggers(plan.to_import)
    index = SearchIndex()
    done = 0
    for written in chain(tables.create(plan.creates, trail, index),
                         tables.update_existing(plan.changes, trail, index)):
        done += written
        report(done, plan.to_import)
    index.restore()
    counts.restore()
    invalid = f", {plan.invalid} invalid {'row' if plan.invalid == 1 else 'rows'} left out" if plan.invalid else ""
    audit.record(user, "import", None, detail=(f"{plan.create} created, {plan.update} updated, "
                                               f"{plan.skip} skipped{invalid} from {trail.where}"))
    job.finished_at = utcnow()
    db.session.flush()
    return job


def _check_still_there(customer_ids: Iterable[int]) -> None:
    """ImportConflict unless every customer to update is still there, and not anonymized."""
    for part in chunks(list(customer_ids)):
        present = db.session.scalar(select(func.count()).select_from(Customer).where(
            Customer.id.in_(part), Customer.anonymized_at.is_(None)))
        if present != len(part):
            raise ImportConflict("a customer this file updates was deleted or anonymized meanwhile.")
