"""When a customer's personal data was erased on request (anonymized customers keep their orders).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE: rebuilding customer on SQLite would drop its search and count triggers.
    op.add_column('customer', sa.Column('anonymized_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('customer', 'anonymized_at')
