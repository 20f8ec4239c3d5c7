"""Copying the whole shop into another, empty database (SQLite to PostgreSQL, or any pair), ids kept.

The caller migrates the target to the source's revision first (`flask --app crm copy-database`), then hands
over one connection to each database: the source's is only read, the target's is a transaction the caller
commits, so a failure leaves the target as empty as it was. Tables go parents first (the models' foreign
keys), rows in batches and in key order, through the models' own columns, so each value is converted
between the two databases' types as the app itself would read and write it.

What the target's triggers keep (the per-segment and per-place counts, SQLite's search indexes over
customers and addresses) fills in as the rows arrive, and Insights' month cache is emptied by the orders'
triggers; those three tables are copied last, replacing what the triggers made, so they equal the source's. PostgreSQL's id sequences are moved past the
copied ids, and SQLite's locality search index, which has no triggers, is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Table, delete, func, insert, select, text

from ..extensions import db
from ..models import InsightMonth, LocationCount, SavedView, SegmentCount

BATCH = 1000
# Written by triggers on customer, address and order (migrations 0003, 0008, 0011) while the rows arrive:
# copied last, over what the triggers made.
TRIGGER_KEPT = (SegmentCount.__table__, LocationCount.__table__, InsightMonth.__table__)
# Seeded by a migration (the built-in Lapsed view, 0019): replaced by the source's rows.
SEEDED = (SavedView.__table__,)


class CopyError(Exception):
    """The copy can't be made (the target has data) or didn't come out equal; nothing was committed."""


def tables() -> list[Table]:
    """Every table of the shop, parents before children."""
    return list(db.metadata.sorted_tables)


def counts(conn: Connection) -> dict[str, int]:
    """Rows per table."""
    return {table.name: conn.scalar(select(func.count()).select_from(table)) for table in tables()}


def data_in(conn: Connection) -> dict[str, int]:
    """The tables of the target that hold rows a migration doesn't put there (it seeds zero counts, a view)."""
    kept = {table.name for table in TRIGGER_KEPT + SEEDED}
    return {name: rows for name, rows in counts(conn).items() if rows and name not in kept}


def copy_all(source: Connection, target: Connection, batch: int = BATCH,
             progress: Callable[[str, int], None] = lambda name, rows: None) -> dict[str, int]:
    """Copy every table from source to target (an empty, migrated database); return the rows per table.

    Raises CopyError when the target has data already, or when a table's count differs afterwards (then
    the caller's transaction must not be committed). `progress(table, rows)` is told of each table done.
    """
    found = data_in(target)
    if found:
        listed = ", ".join(f"{name}: {rows:,}" for name, rows in sorted(found.items()))
        raise CopyError(f"The target database already has data ({listed}). Copy only into an empty database.")
    copied = {}
    for table in [t for t in tables() if t not in TRIGGER_KEPT] + list(TRIGGER_KEPT):
        if table in TRIGGER_KEPT or table in SEEDED:
            target.execute(delete(table))
        copied[table.name] = copy_table(source, target, table, batch)
        progress(table.name, copied[table.name])
    if target.dialect.name == "postgresql":
        move_sequences(target)
    else:
        target.exec_driver_sql("INSERT INTO locality_fts(locality_fts) VALUES ('rebuild')")
    wrong = differences(source, target)
    if wrong:
        listed = ", ".join(f"{name} {ours:,} here, {theirs:,} there" for name, (ours, theirs) in wrong.items())
        raise CopyError(f"The copy's counts differ ({listed}); was the shop written to meanwhile?")
    return copied


def copy_table(source: Connection, target: Connection, table: Table, batch: int = BATCH) -> int:
    """Copy one table's rows in batches, in primary-key order; return how many."""
    columns = list(table.columns)
    query = select(*columns).order_by(*table.primary_key.columns)
    rows = 0
    for part in source.execution_options(yield_per=batch).execute(query).partitions():
        target.execute(insert(table), [{c.key: value for c, value in zip(columns, row)} for row in part])
        rows += len(part)
    return rows


def move_sequences(target: Connection) -> None:
    """Set each PostgreSQL id sequence past the highest id copied, so the next row gets a new one."""
    quote = target.dialect.identifier_preparer
    for table in tables():
        for column in table.primary_key.columns:
            sequence = target.scalar(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                     {"table": quote.format_table(table), "column": column.name})
            if sequence:
                target.execute(text(f"SELECT setval(:sequence, coalesce(max({quote.quote(column.name)}), 0) + 1,"
                                    f" false) FROM {quote.format_table(table)}"), {"sequence": sequence})


def differences(source: Connection, target: Connection) -> dict[str, tuple[int, int]]:
    """Tables whose row counts differ between the two databases: name -> (source, target)."""
    theirs = counts(target)
    return {name: (rows, theirs[name]) for name, rows in counts(source).items() if rows != theirs[name]}
