"""Flask extensions, created here and bound to the app in create_app."""

import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address)


def upsert(table, bind=None):
    """An INSERT for the database (the session's, or `bind`'s) that can take ON CONFLICT clauses.

    SQLite and PostgreSQL both have them, each through its own dialect's insert().
    """
    dialect = (bind or db.session.get_bind()).dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert)(table)


def insert_or_ignore(table):
    """An INSERT that does nothing when the row's key is taken: for rows that racing requests both create."""
    return upsert(table).on_conflict_do_nothing()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Run SQLite with WAL, enforced foreign keys and a busy timeout instead of 'database is locked'."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # The default 2 MB page cache makes every list page re-read the customer indexes from the OS.
        cur.execute("PRAGMA cache_size=-32768")
        cur.execute("PRAGMA mmap_size=268435456")
        cur.close()


# Execution option naming the BEGIN a transaction starts with on SQLite ("IMMEDIATE" for the order API).
SQLITE_BEGIN = "crm_sqlite_begin"


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """On SQLite, start a transaction with BEGIN IMMEDIATE when the connection asks for it (the order API).

    A deferred transaction that reads and then writes fails at once with "database is locked" when another
    connection wrote in between (busy_timeout can't help: its snapshot is stale). BEGIN IMMEDIATE takes the
    write lock first, waiting up to busy_timeout, so the read-match-write of an order is serialized.
    Everything else keeps the sqlite3 module's own transaction handling (BEGIN before the first write),
    which lets the dashboard's reads run without a transaction and its writes wait for the lock.
    """
    record = conn.connection
    dbapi_connection = record.driver_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    options = conn.get_execution_options()
    mode = options.get(SQLITE_BEGIN)
    if mode is None:
        # This pooled connection last ran an API transaction: give sqlite3 its BEGIN back (unless SQLAlchemy's
        # AUTOCOMMIT level, which also works by isolation_level None, was asked for).
        if options.get("isolation_level") != "AUTOCOMMIT" and record.info.pop(SQLITE_BEGIN, False):
            dbapi_connection.isolation_level = ""
        return
    # sqlite3 must not emit a BEGIN of its own; COMMIT and ROLLBACK still go through it.
    record.info[SQLITE_BEGIN] = True
    dbapi_connection.isolation_level = None
    conn.exec_driver_sql(f"BEGIN {mode}")
