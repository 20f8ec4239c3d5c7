"""Address suggestions: a locality table for the bundled gazetteer, and search indexes over it and over the
shop's own addresses (FTS5 trigram tables on SQLite, pg_trgm GIN indexes on PostgreSQL).

The gazetteer's rows are not loaded here: crm.services.gazetteer loads the bundled file on the first
suggestion, and again whenever the file changes (its sha256 is kept in gazetteer_source).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# External-content FTS5 tables read their text from the table they index. The gazetteer's loader is the
# only writer of locality and rebuilds locality_fts after each load (per-row triggers would make a load of
# 21,000 rows ten times slower); triggers keep address_fts in step with every write, whoever makes it.
SQLITE_STATEMENTS = (
    ("CREATE VIRTUAL TABLE locality_fts USING fts5("
     "search_text, content='locality', content_rowid='id', tokenize='trigram')"),
    ("CREATE VIRTUAL TABLE address_fts USING fts5("
     "street, city, state, postcode, content='address', content_rowid='id', tokenize='trigram')"),
    ("CREATE TRIGGER address_fts_insert AFTER INSERT ON address BEGIN "
     "INSERT INTO address_fts(rowid, street, city, state, postcode) "
     "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
    ("CREATE TRIGGER address_fts_delete AFTER DELETE ON address BEGIN "
     "INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
     "VALUES ('delete', old.id, old.street, old.city, old.state, old.postcode); END"),
    ("CREATE TRIGGER address_fts_update AFTER UPDATE OF street, city, state, postcode ON address BEGIN "
     "INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
     "VALUES ('delete', old.id, old.street, old.city, old.state, old.postcode); "
     "INSERT INTO address_fts(rowid, street, city, state, postcode) "
     "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
    "INSERT INTO address_fts(address_fts) VALUES ('rebuild')",
)
SQLITE_TRIGGERS = ("address_fts_insert", "address_fts_delete", "address_fts_update")
# pg_trgm itself was created by revision 0002. The address expression must stay the one
# crm.services.addresses searches with, or PostgreSQL can't use the index.
POSTGRESQL_STATEMENTS = (
    "CREATE INDEX ix_locality_search_trgm ON locality USING gin (search_text gin_trgm_ops)",
    ("CREATE INDEX ix_address_search_trgm ON address USING gin "
     "((street || ' ' || city || ' ' || state || ' ' || postcode) gin_trgm_ops)"),
)


def upgrade():
    op.create_table(
        'locality',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=100), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('postcode', sa.String(length=20), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_locality')),
    )
    with op.batch_alter_table('locality', schema=None) as batch_op:
        batch_op.create_index('ix_locality_country_postcode', ['country', 'postcode'], unique=False)
    op.create_table(
        'gazetteer_source',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_gazetteer_source')),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_STATEMENTS:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS address_fts")
        op.execute("DROP TABLE IF EXISTS locality_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_address_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_locality_search_trgm")
    op.drop_table('gazetteer_source')
    with op.batch_alter_table('locality', schema=None) as batch_op:
        batch_op.drop_index('ix_locality_country_postcode')
    op.drop_table('locality')
