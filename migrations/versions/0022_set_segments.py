"""The customer list's set filters (a tag, a membership state) count their tabs from their own rows: customer_tag
and membership get a copy of their customer's segment, kept equal to it by triggers, and indexes that start
with what the filters look up (tag, then segment; expiry, then segment).

Without it, the tab counts of "tagged Local pickup" read the customer row of each of its 33,000 customers to
learn their segments (25 ms at 100,000 customers); from customer_tag's index they are one range read (2 ms).

The triggers: a row put in without a segment (every writer but the bulk tag action, which passes it) takes its
customer's; a customer whose segment changes takes its tag and membership rows along. Existing rows are given
their customer's segment here. Going down drops the columns, the triggers and the new indexes, and puts the
earlier indexes back.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

TABLES = ("customer_tag", "membership")
OLD_INDEXES = {"customer_tag": ("ix_customer_tag_tag", ["tag_id", "customer_id"]),
               "membership": ("ix_membership_expires_on", ["expires_on", "customer_id"])}
NEW_INDEXES = {"customer_tag": ("ix_customer_tag_tag", ["tag_id", "segment", "customer_id"]),
               "membership": ("ix_membership_expires_on", ["expires_on", "segment", "customer_id"])}

SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER {table}_segment_insert AFTER INSERT ON {table} WHEN new.segment = '' BEGIN "
    f"UPDATE {table} SET segment = (SELECT segment FROM customer WHERE id = new.customer_id) "
    f"WHERE rowid = new.rowid; END" for table in TABLES) + (
    "CREATE TRIGGER customer_segment_sets AFTER UPDATE OF segment ON customer "
    "WHEN old.segment <> new.segment BEGIN "
    + " ".join(f"UPDATE {table} SET segment = new.segment WHERE customer_id = new.id;" for table in TABLES)
    + " END",
)
SQLITE_TRIGGER_NAMES = (*(f"{table}_segment_insert" for table in TABLES), "customer_segment_sets")

POSTGRESQL_FUNCTIONS = ("""
CREATE FUNCTION set_row_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.segment = '' THEN
        SELECT segment INTO NEW.segment FROM customer WHERE id = NEW.customer_id;
    END IF;
    RETURN NEW;
END
$$""", """
CREATE FUNCTION customer_segment_sets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customer_tag SET segment = NEW.segment WHERE customer_id = NEW.id;
    UPDATE membership SET segment = NEW.segment WHERE customer_id = NEW.id;
    RETURN NULL;
END
$$""")
POSTGRESQL_TRIGGERS = tuple(
    f"CREATE TRIGGER {table}_segment_insert BEFORE INSERT ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION set_row_segment()" for table in TABLES) + (
    "CREATE TRIGGER customer_segment_sets AFTER UPDATE OF segment ON customer FOR EACH ROW "
    "WHEN (OLD.segment IS DISTINCT FROM NEW.segment) EXECUTE FUNCTION customer_segment_sets()",
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("segment", sa.String(length=20), nullable=False, server_default=""))
        op.execute(f"UPDATE {table} SET segment = (SELECT segment FROM customer WHERE customer.id = "
                   f"{table}.customer_id)")
        name, _ = OLD_INDEXES[table]
        op.drop_index(name, table_name=table)
        name, columns = NEW_INDEXES[table]
        op.create_index(name, table, columns)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in (*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS):
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    elif dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_segment_insert ON {table}")
        op.execute("DROP TRIGGER customer_segment_sets ON customer")
        op.execute("DROP FUNCTION set_row_segment()")
        op.execute("DROP FUNCTION customer_segment_sets()")
    for table in TABLES:
        name, _ = NEW_INDEXES[table]
        op.drop_index(name, table_name=table)
        name, columns = OLD_INDEXES[table]
        op.create_index(name, table, columns)
        op.drop_column(table, "segment")  # SQLite drops a column in place since 3.35
