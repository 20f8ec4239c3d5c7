"""Customer imports: one row per import from a CSV file, with who ran it and what it did.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    """Add the import_job table."""
    # A new table only: customer and address are never rebuilt (SQLite would lose their triggers).
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('done', 'failed')", name=op.f('ck_import_job_status')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_import_job_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    op.create_index('ix_import_job_token', 'import_job', ['token'], unique=False)
    op.create_index('ix_import_job_started_at', 'import_job', ['started_at', 'id'], unique=False)


def downgrade():
    """Drop the import_job table."""
    op.drop_index('ix_import_job_started_at', table_name='import_job')
    op.drop_index('ix_import_job_token', table_name='import_job')
    op.drop_table('import_job')
