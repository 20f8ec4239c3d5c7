"""Segment counts kept by triggers, so the customer list's tabs don't count the customer table per request.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SEGMENTS = ("vip", "returning", "new", "prospect")

SQLITE_TRIGGERS = (
    "CREATE TRIGGER segment_count_insert AFTER INSERT ON customer BEGIN "
    "UPDATE segment_count SET customers = customers + 1 WHERE segment = new.segment; END",
    "CREATE TRIGGER segment_count_delete AFTER DELETE ON customer BEGIN "
    "UPDATE segment_count SET customers = customers - 1 WHERE segment = old.segment; END",
    "CREATE TRIGGER segment_count_update AFTER UPDATE OF segment ON customer "
    "WHEN old.segment <> new.segment BEGIN "
    "UPDATE segment_count SET customers = customers - 1 WHERE segment = old.segment; "
    "UPDATE segment_count SET customers = customers + 1 WHERE segment = new.segment; END",
)

POSTGRESQL_FUNCTION = """
CREATE FUNCTION segment_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.segment = NEW.segment THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE segment_count SET customers = customers - 1 WHERE segment = OLD.segment;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE segment_count SET customers = customers + 1 WHERE segment = NEW.segment;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.create_table(
        'segment_count',
        sa.Column('segment', sa.String(length=10), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('segment', name=op.f('pk_segment_count')),
    )
    conn = op.get_bind()
    existing = dict(conn.execute(sa.text("SELECT segment, count(*) FROM customer GROUP BY segment")).all())
    conn.execute(sa.text("INSERT INTO segment_count (segment, customers) VALUES (:segment, :customers)"),
                 [{"segment": s, "customers": existing.get(s, 0)} for s in SEGMENTS])
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif conn.dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute("CREATE TRIGGER segment_count_track AFTER INSERT OR DELETE OR UPDATE OF segment ON customer "
                   "FOR EACH ROW EXECUTE FUNCTION segment_count_track()")


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for trigger in ("segment_count_insert", "segment_count_delete", "segment_count_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    elif conn.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS segment_count_track ON customer")
        op.execute("DROP FUNCTION IF EXISTS segment_count_track()")
    op.drop_table('segment_count')
