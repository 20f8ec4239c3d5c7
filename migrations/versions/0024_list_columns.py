"""The customer list's columns per person: user.list_columns, the columns each chose under "Columns" (NULL, as
every account starts, shows the defaults). One nullable column; no row changes, and going down drops it.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("list_columns", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("user", "list_columns")  # SQLite drops a column in place since 3.35
