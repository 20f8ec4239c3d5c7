"""Write transactions that must not interleave: each check-then-write (is this order number, email or address
free? then write) runs alone against the rows it is about.

`submit` runs a write in a transaction of its own and commits it. On SQLite that transaction starts with
BEGIN IMMEDIATE, so writers queue for the database's one write lock before they read, and every
check-then-write is serialized. On PostgreSQL the work takes `advisory_lock`s on the names it is about
(an order number, an email), and a unique-index race that still slips through is retried from the start,
where the re-read finds the winner. Used by the order API (crm.services.intake) and the follow page's codes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import SQLITE_BEGIN, db
from ..models import SegmentCount

RETRIES = 4
# How long a request waits for its turn to write on SQLite before giving up as Busy (busy_timeout is 5 s too).
WRITER_WAIT = 5.0
_sqlite_writer = threading.Lock()

T = TypeVar("T")


class Busy(Exception):
    """The database stayed locked by other writers for longer than busy_timeout."""


def submit(work: Callable[[], T], attempts: int = RETRIES) -> T:
    """Run `work` in a write transaction of its own and commit it; retry it when it lost a race.

    Whatever the caller read before (the shop's settings, the token) is committed first, so the write starts
    a fresh transaction: BEGIN IMMEDIATE on SQLite. Exceptions from `work` roll everything back.
    """
    db.session.commit()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    for attempt in range(1, attempts + 1):
        # SQLite lets one writer in at a time, and a waiting connection polls for the lock with growing
        # sleeps (up to 25 ms each), so the lock often stands free while everyone sleeps. Threads of this
        # process queue on a Python lock instead, which hands over at once; only the processes poll.
        if sqlite and not _sqlite_writer.acquire(timeout=WRITER_WAIT):
            raise Busy()
        try:
            db.session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            result = work()
            db.session.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if _locked(exc):
                raise Busy() from exc
            if attempt == attempts or not _lost_race(exc):
                raise
        except BaseException:
            db.session.rollback()
            raise
        finally:
            if sqlite:
                _sqlite_writer.release()
    raise AssertionError("unreachable")


def _locked(exc: Exception) -> bool:
    """SQLite gave up waiting for the write lock."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _lost_race(exc: Exception) -> bool:
    """A unique index caught a concurrent insert, or PostgreSQL broke a deadlock or serialization conflict."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")


def advisory_lock(*keys: str) -> None:
    """On PostgreSQL, hold transaction locks on these names (sorted, so two requests can't deadlock on them)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def lock_segment_counts() -> None:
    """On PostgreSQL, lock the kept segment counts, always in the same order, before writing a customer.

    The triggers of migration 0003 update the count rows of the segments a customer leaves and joins, in
    that order, so two orders moving customers in opposite directions (New -> Returning, Returning -> New)
    would each hold the row the other wants: a deadlock PostgreSQL breaks only after a second. Adding a
    customer takes the Prospect row only after its INSERT, which may be waiting for another transaction's
    twin (same email) that holds these locks already and is waiting for this INSERT: the same deadlock.
    So every write of a customer (an order, the form, the follow page) takes them first, in this order.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(select(SegmentCount.segment).order_by(SegmentCount.segment).with_for_update()).all()
