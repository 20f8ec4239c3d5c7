"""Language and theme: user.language (English or Bahasa Melayu; "", as every account starts, follows the
shop's default), user.theme (system, light or dark; every account starts on the system's) and
shop_settings.language, the shop's default (English). New columns only; no row changes, and going down drops
them.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=False, server_default=""))
        batch.add_column(sa.Column("theme", sa.String(6), nullable=False, server_default="system"))
    with op.batch_alter_table("shop_settings") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=False, server_default="en"))


def downgrade():
    # SQLite drops a column in place since 3.35
    op.drop_column("shop_settings", "language")
    op.drop_column("user", "theme")
    op.drop_column("user", "language")
