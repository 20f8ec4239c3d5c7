"""The customer list's filter panel: one index holding every column the filters and sorts read, and one on
membership expiry.

`ix_customer_filters` (segment, total_spent, order_count, last_order_at, created_at, email_marketing, source,
name_key, id) lets a filtered page and its tab counts be one pass over an index instead of a read of every
customer row; `ix_membership_expires_on` finds active, expiring and expired members. Only indexes are added:
no row changes, and going down drops them.

Revision ID: 0020
Revises: 0019
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

FILTER_COLUMNS = ["segment", "total_spent", "order_count", "last_order_at", "created_at", "email_marketing",
                  "source", "name_key", "id"]


def upgrade():
    op.create_index("ix_customer_filters", "customer", FILTER_COLUMNS)
    op.create_index("ix_membership_expires_on", "membership", ["expires_on", "customer_id"])


def downgrade():
    op.drop_index("ix_membership_expires_on", table_name="membership")
    op.drop_index("ix_customer_filters", table_name="customer")
