"""Counts per segment as rows, so that a new segment is one entry in the registry (crm/services/segments.py):
location_count becomes one row per place and segment, plus one per place for all its customers; the count
triggers take the segment as a value; the customer table loses its CHECK on segment.

location_count had a column per segment (vip_customers ...), so a new segment meant a new column and every
trigger of 0008 written again. Now a place has a row per segment its customers are in, which the triggers
make with the segment's first customer there, and a row under segment '' for all of its customers (Insights
ranks places by those, through partial indexes that hold only them). The rows are counted again from the
addresses and customers, as 0008 first counted them: the same numbers, now with the spend per segment too.

segment_count's triggers add a segment's row the first time a customer joins it, instead of updating a
row that had to exist.

The CHECK listed the four segments, so a fifth would have needed a migration that, on SQLite, rebuilds the
customer table: that drops its triggers, and with foreign keys on, fires the ON DELETE actions of the tables
pointing at it. The registry is the one list of segments now. On SQLite the CHECK is taken out of the stored
table definition by the procedure SQLite documents for changes that leave the stored rows as they are
(lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): no row, index or trigger is touched.

Revision ID: 0011
Revises: 0010
"""
import importlib.util
import re
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SEGMENTS_0010 = ("vip", "returning", "new", "prospect")
SEGMENT_CHECK = f"CONSTRAINT ck_customer_segment CHECK (segment IN ({', '.join(repr(s) for s in SEGMENTS_0010)}))"
# Each level's key from an address row: (state, city); coarser levels leave the finer parts empty.
LEVELS = {"city": ("{row}.state", "{row}.city"), "state": ("{row}.state", "''"), "country": ("''", "''")}
COLUMNS = "level, country, state, city, segment, customers, spent"
ON_CONFLICT = ("ON CONFLICT (level, country, state, city, segment) DO UPDATE SET "
               "customers = customers + excluded.customers, spent = spent + excluded.spent;")
SQLITE_LOCATION_TRIGGERS = ("location_count_address_insert", "location_count_address_delete",
                            "location_count_address_update", "location_count_customer_update")
SQLITE_NEW_TRIGGERS = (*SQLITE_LOCATION_TRIGGERS, "location_count_customer_spend")


def _earlier(name: str):
    """An earlier revision's module (versions/ is not a package), for the triggers a downgrade puts back."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"crm_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _key(level: str, row: str) -> str:
    """SQL matching one level's location_count rows of a place given by an address row (new, old or a)."""
    state, city = (part.format(row=row) for part in LEVELS[level])
    return (f"location_count.level = '{level}' AND location_count.country = {row}.country "
            f"AND location_count.state = {state} AND location_count.city = {city}")


def _place(level: str, row: str) -> str:
    """The level, country, state and city of a place as SELECT items, from an address row."""
    state, city = (part.format(row=row) for part in LEVELS[level])
    return f"'{level}', {row}.country, {state}, {city}"


def _sqlite_address_statements() -> tuple[list[str], list[str]]:
    """What adding and removing an address does to its place's rows: the segment's row and the '' row."""
    add = [f"INSERT INTO location_count ({COLUMNS}) SELECT {_place(level, 'new')}, {segment}, 1, c.total_spent "
           f"FROM customer AS c WHERE c.id = new.customer_id {ON_CONFLICT}"
           for level in LEVELS for segment in ("''", "c.segment")]
    remove = [f"UPDATE location_count SET customers = customers - 1, spent = spent - c.total_spent "
              f"FROM customer AS c WHERE c.id = old.customer_id AND {_key(level, 'old')} "
              f"AND location_count.segment IN ('', c.segment);" for level in LEVELS]
    return add, remove


def _sqlite_customer_statements() -> tuple[list[str], list[str]]:
    """What a customer's new segment, and a new lifetime spend alone, do to the rows of where they live."""
    move = []
    for level in LEVELS:
        move.append("UPDATE location_count SET customers = customers - (location_count.segment <> ''), "
                    "spent = spent + CASE WHEN location_count.segment = '' THEN new.total_spent - old.total_spent "
                    "ELSE -old.total_spent END FROM address AS a "
                    f"WHERE a.customer_id = new.id AND {_key(level, 'a')} "
                    "AND location_count.segment IN ('', old.segment);")
        move.append(f"INSERT INTO location_count ({COLUMNS}) SELECT {_place(level, 'a')}, new.segment, 1, "
                    f"new.total_spent FROM address AS a WHERE a.customer_id = new.id {ON_CONFLICT}")
    spend = [f"UPDATE location_count SET spent = spent + new.total_spent - old.total_spent FROM address AS a "
             f"WHERE a.customer_id = new.id AND {_key(level, 'a')} "
             f"AND location_count.segment IN ('', new.segment);" for level in LEVELS]
    return move, spend


def _sqlite_triggers() -> list[str]:
    """The SQLite triggers on address and customer that keep location_count (one statement per row kind)."""
    add, remove = _sqlite_address_statements()
    move, spend = _sqlite_customer_statements()
    return [
        f"CREATE TRIGGER location_count_address_insert AFTER INSERT ON address BEGIN {' '.join(add)} END",
        f"CREATE TRIGGER location_count_address_delete AFTER DELETE ON address BEGIN {' '.join(remove)} END",
        ("CREATE TRIGGER location_count_address_update AFTER UPDATE OF country, state, city, customer_id "
         "ON address WHEN old.country IS NOT new.country OR old.state IS NOT new.state "
         "OR old.city IS NOT new.city OR old.customer_id IS NOT new.customer_id "
         f"BEGIN {' '.join(remove)} {' '.join(add)} END"),
        ("CREATE TRIGGER location_count_customer_update AFTER UPDATE OF segment, total_spent ON customer "
         f"WHEN old.segment IS NOT new.segment BEGIN {' '.join(move)} END"),
        ("CREATE TRIGGER location_count_customer_spend AFTER UPDATE OF segment, total_spent ON customer "
         "WHEN old.segment IS new.segment AND old.total_spent IS NOT new.total_spent "
         f"BEGIN {' '.join(spend)} END"),
    ]


# A customer's part of one place's counts moves from one segment (and spend) to another; NULL for "none":
# an address added (from NULL), removed (to NULL), or the customer's segment or spend changed. The rows are
# written city, then state, then country, and within each level in segment order ('' first), one statement
# each: two transactions that share rows lock them in the same order, so they wait, never deadlock.
POSTGRESQL_SHIFT = """
CREATE FUNCTION location_count_shift(p_country text, p_state text, p_city text, p_from text, p_from_spent bigint,
                                     p_to text, p_to_spent bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_level text;
    v_segment text;
    v_customers integer;
    v_spent bigint;
BEGIN
    FOREACH v_level IN ARRAY ARRAY['city', 'state', 'country'] LOOP
        FOR v_segment IN SELECT DISTINCT s FROM unnest(ARRAY['', p_from, p_to]) AS s WHERE s IS NOT NULL
                         ORDER BY s LOOP
            IF v_segment = '' THEN
                v_customers := (p_to IS NOT NULL)::integer - (p_from IS NOT NULL)::integer;
                v_spent := coalesce(p_to_spent, 0) - coalesce(p_from_spent, 0);
            ELSE
                v_customers := (v_segment IS NOT DISTINCT FROM p_to)::integer
                               - (v_segment IS NOT DISTINCT FROM p_from)::integer;
                v_spent := CASE WHEN v_segment IS NOT DISTINCT FROM p_to THEN p_to_spent ELSE 0 END
                           - CASE WHEN v_segment IS NOT DISTINCT FROM p_from THEN p_from_spent ELSE 0 END;
            END IF;
            CONTINUE WHEN v_customers = 0 AND v_spent = 0;
            INSERT INTO location_count (level, country, state, city, segment, customers, spent)
            VALUES (v_level, p_country, CASE WHEN v_level = 'country' THEN '' ELSE p_state END,
                    CASE WHEN v_level = 'city' THEN p_city ELSE '' END, v_segment, v_customers, v_spent)
            ON CONFLICT (level, country, state, city, segment) DO UPDATE
            SET customers = location_count.customers + EXCLUDED.customers,
                spent = location_count.spent + EXCLUDED.spent;
        END LOOP;
    END LOOP;
END
$$"""

POSTGRESQL_ADDRESS = """
CREATE OR REPLACE FUNCTION location_count_address() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.country = NEW.country AND OLD.state = NEW.state AND OLD.city = NEW.city
            AND OLD.customer_id = NEW.customer_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT segment, total_spent INTO c FROM customer WHERE id = OLD.customer_id;
        IF FOUND THEN
            PERFORM location_count_shift(OLD.country, OLD.state, OLD.city, c.segment, c.total_spent, NULL, NULL);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT segment, total_spent INTO c FROM customer WHERE id = NEW.customer_id;
        IF FOUND THEN
            PERFORM location_count_shift(NEW.country, NEW.state, NEW.city, NULL, NULL, c.segment, c.total_spent);
        END IF;
    END IF;
    RETURN NULL;
END
$$"""

POSTGRESQL_CUSTOMER = """
CREATE OR REPLACE FUNCTION location_count_customer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- The address goes first, while this customer's segment and spend can still be read to take them off.
        DELETE FROM address WHERE customer_id = OLD.id;
        RETURN OLD;
    END IF;
    IF OLD.segment = NEW.segment AND OLD.total_spent = NEW.total_spent THEN
        RETURN NULL;
    END IF;
    SELECT country, state, city INTO a FROM address WHERE customer_id = NEW.id;
    IF FOUND THEN
        PERFORM location_count_shift(a.country, a.state, a.city, OLD.segment, OLD.total_spent, NEW.segment,
                                     NEW.total_spent);
    END IF;
    RETURN NULL;
END
$$"""

# Only the segment a customer joins needs a row that may not be there yet.
SQLITE_SEGMENT_JOIN = ("INSERT INTO segment_count (segment, customers) VALUES (new.segment, 1) "
                       "ON CONFLICT (segment) DO UPDATE SET customers = customers + 1;")
SQLITE_SEGMENT_TRIGGERS = (
    f"CREATE TRIGGER segment_count_insert AFTER INSERT ON customer BEGIN {SQLITE_SEGMENT_JOIN} END",
    "CREATE TRIGGER segment_count_update AFTER UPDATE OF segment ON customer "
    "WHEN old.segment <> new.segment BEGIN "
    f"UPDATE segment_count SET customers = customers - 1 WHERE segment = old.segment; {SQLITE_SEGMENT_JOIN} END",
)
POSTGRESQL_SEGMENT_COUNT = """
CREATE OR REPLACE FUNCTION segment_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.segment = NEW.segment THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE segment_count SET customers = customers - 1 WHERE segment = OLD.segment;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO segment_count (segment, customers) VALUES (NEW.segment, 1)
        ON CONFLICT (segment) DO UPDATE SET customers = segment_count.customers + 1;
    END IF;
    RETURN NULL;
END
$$"""


def _sqlite_begin() -> None:
    """On SQLite, run this revision in one transaction (its DDL is transactional), so it happens whole or not."""
    dbapi = op.get_bind().connection.driver_connection
    if isinstance(dbapi, sqlite3.Connection) and not dbapi.in_transaction:
        op.execute("BEGIN")


def _sqlite_edit_table(table: str, edit) -> None:
    """Change a table's stored definition in place, by SQLite's writable_schema procedure.

    Only for changes that leave the stored rows valid as they are (dropping a CHECK, say). The new definition
    is tried on an empty in-memory database first: a malformed one written into sqlite_master would leave the
    file unreadable. Runs in the caller's transaction.
    """
    conn = op.get_bind()
    old = conn.exec_driver_sql(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'").scalar()
    new = edit(old)
    if new == old:
        return
    with sqlite3.connect(":memory:") as trial:
        trial.execute(new)
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new, table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql(f"PRAGMA integrity_check({table})").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"{table} after the schema edit: {problems}")


def _without_segment_check(sql: str) -> str:
    """The customer table's definition without the CHECK on segment."""
    return re.sub(r",\s*" + re.escape(SEGMENT_CHECK), "", sql)


def _with_segment_check(sql: str) -> str:
    """The customer table's definition with the CHECK on segment, after its primary key."""
    if SEGMENT_CHECK in sql:
        return sql
    primary_key = "CONSTRAINT pk_customer PRIMARY KEY (id)"
    return sql.replace(primary_key, f"{primary_key}, \n\t{SEGMENT_CHECK}", 1)


def _create_location_count() -> None:
    """The table in its new shape, with the rankings' partial indexes."""
    op.create_table(
        'location_count',
        sa.Column('level', sa.String(length=7), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=100), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('segment', sa.String(length=10), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('spent', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'country', 'state', 'city', 'segment', name=op.f('pk_location_count')),
    )
    every = sa.text("segment = ''")
    for name, column in (("ix_location_count_customers", "customers"), ("ix_location_count_spent", "spent")):
        op.create_index(name, 'location_count', ['level', column], unique=False,
                        sqlite_where=every, postgresql_where=every)


def _fill_location_count() -> None:
    """Count the customers there are, per place: per segment, and all of them under ''."""
    for level, parts in LEVELS.items():
        place = _place(level, "a")
        group = {"city": "a.country, a.state, a.city", "state": "a.country, a.state", "country": "a.country"}[level]
        for segment, by in (("''", group), ("c.segment", f"{group}, c.segment")):
            op.execute(
                f"INSERT INTO location_count ({COLUMNS}) "
                f"SELECT {place}, {segment}, count(*), coalesce(sum(c.total_spent), 0) "
                f"FROM address AS a JOIN customer AS c ON c.id = a.customer_id GROUP BY {by}")


def _drop_location_count() -> None:
    """Drop location_count and its two rankings indexes (either shape)."""
    op.drop_index('ix_location_count_spent', table_name='location_count')
    op.drop_index('ix_location_count_customers', table_name='location_count')
    op.drop_table('location_count')


def _upgrade_sqlite() -> None:
    """SQLite: new triggers for both count tables, and the CHECK out of the customer table's definition."""
    for statement in (*_sqlite_triggers(), *SQLITE_SEGMENT_TRIGGERS):
        op.execute(statement)
    _sqlite_edit_table("customer", _without_segment_check)


def _upgrade_postgresql() -> None:
    """PostgreSQL: the trigger functions replaced (the triggers stay, under their names), the CHECK dropped."""
    op.execute(POSTGRESQL_SHIFT)
    for statement in (POSTGRESQL_ADDRESS, POSTGRESQL_CUSTOMER, POSTGRESQL_SEGMENT_COUNT):
        op.execute(statement)
    op.execute("DROP FUNCTION IF EXISTS location_count_change(text, text, text, integer, integer)")
    op.execute("ALTER TABLE customer DROP CONSTRAINT IF EXISTS ck_customer_segment")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_begin()
        for trigger in (*SQLITE_LOCATION_TRIGGERS, "segment_count_insert", "segment_count_update"):
            op.execute(f"DROP TRIGGER {trigger}")
    _drop_location_count()
    _create_location_count()
    _fill_location_count()
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()


def _check_downgradable() -> None:
    """Refuse to go back while customers are in a segment revision 0010 doesn't know (its CHECK would refuse)."""
    listed = ", ".join(repr(s) for s in SEGMENTS_0010)
    others = op.get_bind().exec_driver_sql(
        f"SELECT DISTINCT segment FROM customer WHERE segment NOT IN ({listed})").scalars().all()
    if others:
        raise RuntimeError(f"customers are in segments revision 0010 doesn't have: {others}; "
                           "take those segments out of the registry and run recompute-stats first")


def _old_location_count() -> None:
    """location_count as revision 0008 made it (a column per segment), counted again from the addresses."""
    op.create_table(
        'location_count',
        sa.Column('level', sa.String(length=7), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=100), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        *(sa.Column(f'{s}_customers', sa.Integer(), nullable=False) for s in SEGMENTS_0010),
        sa.Column('spent', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'country', 'state', 'city', name=op.f('pk_location_count')),
    )
    op.create_index('ix_location_count_customers', 'location_count', ['level', 'customers'], unique=False)
    op.create_index('ix_location_count_spent', 'location_count', ['level', 'spent'], unique=False)
    _earlier("0008_insights.py")._fill_location_count()


def _downgrade_sqlite() -> None:
    """SQLite: the triggers of 0003 and 0008 back, and the CHECK back into the customer table's definition."""
    statements = [*_earlier("0008_insights.py")._sqlite_statements(),
                  *_earlier("0003_segment_counts.py").SQLITE_TRIGGERS]
    names = (*SQLITE_LOCATION_TRIGGERS, "segment_count_insert", "segment_count_update")
    for statement in statements:
        if statement.split()[2] in names:
            op.execute(statement)
    _sqlite_edit_table("customer", _with_segment_check)


def _downgrade_postgresql() -> None:
    """PostgreSQL: the functions of 0003 and 0008 back under the same triggers, and the CHECK."""
    for trigger, table in (("location_count_address", "address"), ("location_count_customer_update", "customer"),
                           ("location_count_customer_delete", "customer")):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in ("location_count_customer()", "location_count_address()",
                     "location_count_shift(text, text, text, text, bigint, text, bigint)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    for statement in _earlier("0008_insights.py")._postgresql_statements():
        if "insight_month" not in statement:
            op.execute(statement)
    op.execute(_earlier("0003_segment_counts.py").POSTGRESQL_FUNCTION.replace(
        "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute(f"ALTER TABLE customer ADD {SEGMENT_CHECK}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_begin()
        for trigger in (*SQLITE_NEW_TRIGGERS, "segment_count_insert", "segment_count_update"):
            op.execute(f"DROP TRIGGER {trigger}")
    _check_downgradable()
    _drop_location_count()
    _old_location_count()
    if dialect == "sqlite":
        _downgrade_sqlite()
    elif dialect == "postgresql":
        _downgrade_postgresql()
