"""The task worker's traces for the dashboard: job_run (each scheduled job's last run and outcome) and
worker_beat (each worker process's heartbeat). Two new tables; nothing else is touched.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    """Add the job_run and worker_beat tables."""
    op.create_table('job_run',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.CheckConstraint("outcome IN ('running', 'ok', 'failed')", name=op.f('ck_job_run_outcome')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_run'))
    )
    op.create_table('worker_beat',
    sa.Column('worker', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_beat'))
    )
    op.create_index(op.f('ix_worker_beat_seen_at'), 'worker_beat', ['seen_at'], unique=False)


def downgrade():
    """Drop both tables."""
    op.drop_index(op.f('ix_worker_beat_seen_at'), table_name='worker_beat')
    op.drop_table('worker_beat')
    op.drop_table('job_run')
