"""Actions on many customers at once, queued for the task worker: one bulk_job row each (what, on which
customers, by whom, how it went). No existing row is touched; going down drops the table.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bulk_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('tag', sa.String(length=40), nullable=True),
        sa.Column('selection', sa.Text(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("action IN ('add_tag', 'remove_tag', 'unsubscribe', 'delete')",
                           name=op.f('ck_bulk_job_action')),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_bulk_job_status')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_bulk_job_user_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_job')),
    )


def downgrade():
    op.drop_table('bulk_job')
