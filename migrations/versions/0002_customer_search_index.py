"""Index customer search: an FTS5 trigram table on SQLite, a pg_trgm GIN index on PostgreSQL.

Search words of three or more characters then find customers through the index instead of reading every
row. Phone numbers are searched through the phone and whatsapp indexes and are no longer part of
search_text, so search_text is rebuilt here as names, email and company.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _rebuild_search_text():
    # The rule in crm.services.customers.search_text_for, frozen here as this revision knows it.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, first_name, last_name, email, company_name FROM customer")).fetchall()
    updates = []
    for row in rows:
        words = [row.first_name, row.last_name, row.email, row.company_name]
        text = " ".join(w.strip() for w in words if w and w.strip()).casefold()
        updates.append({"id": row.id, "text": text})
    if updates:
        conn.execute(sa.text("UPDATE customer SET search_text = :text WHERE id = :id"), updates)


def upgrade():
    _rebuild_search_text()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE customer_fts USING fts5("
                   "search_text, content='customer', content_rowid='id', tokenize='trigram')")
        # Triggers keep the index in step with every write to customer.search_text, whoever makes it.
        op.execute("CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN "
                   "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER customer_fts_delete AFTER DELETE ON customer BEGIN "
                   "INSERT INTO customer_fts(customer_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER customer_fts_update AFTER UPDATE OF search_text ON customer BEGIN "
                   "INSERT INTO customer_fts(customer_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("INSERT INTO customer_fts(customer_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_customer_search_trgm ON customer USING gin (search_text gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("customer_fts_insert", "customer_fts_delete", "customer_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS customer_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customer_search_trgm")
