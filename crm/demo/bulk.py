"""Writing demo rows fast: batched executemany INSERTs of plain tuples, times as the column stores them, a big
SQLite page cache while loading, and the id sequences moved past the keys handed out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import methodcaller

from sqlalchemy import DateTime, func, insert, select
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table

from ..extensions import db
from ..models import Address, Customer, Order, OrderItem

BULK_CACHE_KIB = 128 * 1024


class BulkWriter:
    """Batched INSERTs of plain tuples straight to the driver: the ORM's and Core's per-row work would
    dominate a million rows. Values must already be what the database stores (see time_storer)."""

    def __init__(self, model, columns: tuple[str, ...], stored: Callable[[datetime], object]):
        """Prepare the INSERT of `columns` (plus other columns' Python defaults) into the model's table."""
        dialect = db.session.connection().dialect
        table = model.__table__
        # Columns added to the model later still get their defaults, as an ORM insert would give them.
        self.extra = _python_defaults(table, columns, stored)
        self.columns = columns + tuple(self.extra)
        marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        prep = dialect.identifier_preparer
        self.sql = None if marker is None else (
            f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in self.columns)}) "
            f"VALUES ({', '.join([marker] * len(self.columns))})")
        # Untyped columns for drivers with other parameter styles: the values are already processed.
        self.light = sa_table(table.name, *(sa_column(c) for c in self.columns))

    def write(self, rows: list[tuple]) -> None:
        """Insert the rows (tuples in column order) with one executemany."""
        if not rows:
            return
        if self.extra:
            tail = tuple(self.extra.values())
            rows = [row + tail for row in rows]
        if self.sql is None:
            db.session.execute(insert(self.light), [dict(zip(self.columns, row)) for row in rows])
        else:
            db.session.connection().exec_driver_sql(self.sql, rows)


def _python_defaults(table, given: tuple[str, ...], stored: Callable[[datetime], object]) -> dict:
    """Values of the Python-side defaults of the columns not in `given`, ready to store."""
    out = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or not (default.is_scalar or default.is_callable):
            continue
        try:
            value = default.arg(None) if default.is_callable else default.arg
        except Exception:  # a default that needs the statement's context: leave it to the database
            continue
        if isinstance(value, datetime):
            value = stored(value.astimezone(timezone.utc).replace(tzinfo=None))
        out[column.name] = value
    return out


def time_storer() -> Callable[[datetime], object]:
    """Turns a naive UTC datetime into what a UTCDateTime column holds on this database, as the dialect's
    own DateTime processing would (text on SQLite, the datetime itself on PostgreSQL)."""
    dialect = db.session.connection().dialect
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    probe = datetime(2001, 2, 3, 4, 5, 6, 7)
    if process(probe) == probe.isoformat(" ", "microseconds"):
        # The same text written in C: SQLAlchemy's formatter is a visible share of a million-order run.
        return methodcaller("isoformat", " ", "microseconds")
    return process


@contextmanager
def sqlite_cache() -> Iterator[None]:
    """SQLite only: a bigger page cache for this connection while loading, then the old size again.

    With the default 2 MB, inserting into the random-order indexes (names, emails, order dates) spills
    pages to the WAL over and over; this halves the run time. Other databases are left alone.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar())
    connection.exec_driver_sql(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")


def reset_sequences() -> None:
    """PostgreSQL: move the id sequences past the keys handed out here, so later inserts don't collide."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for model in (Customer, Address, Order, OrderItem):
        table = model.__table__
        db.session.execute(select(func.setval(
            func.pg_get_serial_sequence(table.fullname, "id"),
            select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(),
            False,
        )))


def next_id(model) -> int:
    """The first free primary key of a model's table."""
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1

