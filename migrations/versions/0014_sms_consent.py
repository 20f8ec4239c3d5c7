"""Consent to marketing by text message and WhatsApp, beside email marketing: the flag (false for every
customer already there: nobody has given it yet), when it was given or withdrawn, and how it was recorded.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE: rebuilding customer on SQLite would drop its search and count triggers.
    op.add_column('customer', sa.Column('sms_marketing', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('customer', sa.Column('sms_marketing_at', sa.DateTime(), nullable=True))
    op.add_column('customer', sa.Column('sms_marketing_method', sa.String(length=50), nullable=True))


def downgrade():
    op.drop_column('customer', 'sms_marketing_method')
    op.drop_column('customer', 'sms_marketing_at')
    op.drop_column('customer', 'sms_marketing')
