"""Imports that can be undone: import_change keeps what a finished import did (each customer it created, each
stored value it changed, before and after), and import_job says whether it kept them and when it was undone.

New table and new nullable (or defaulted) columns only: no customer row is touched. Imports finished before this
revision kept nothing, so they get changes_kept false and can't be undone. Going down drops what was added (on
SQLite import_job is rebuilt in batch mode: it has no triggers to lose).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=True),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_change_job_id_import_job'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_import_change_customer_id_customer'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_change')),
    )
    op.create_index('ix_import_change_job', 'import_change', ['job_id', 'id'], unique=False)
    op.create_index('ix_import_change_customer', 'import_change', ['customer_id'], unique=False)
    op.add_column('import_job', sa.Column('changes_kept', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('import_job', sa.Column('undone_at', sa.DateTime(), nullable=True))
    op.add_column('import_job', sa.Column('undone_by', sa.String(length=254), nullable=True))
    op.add_column('import_job', sa.Column('undo_result', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job') as batch:
        for column in ('undo_result', 'undone_by', 'undone_at', 'changes_kept'):
            batch.drop_column(column)
    op.drop_index('ix_import_change_customer', table_name='import_change')
    op.drop_index('ix_import_change_job', table_name='import_change')
    op.drop_table('import_change')
