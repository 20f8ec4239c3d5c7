"""How customers arrive: API tokens for the checkout, one-time follow codes, and orders that know their
channel and the content they were sent with (for idempotent retries).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('requested_from', sa.String(length=45), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_code'))
    )
    with op.batch_alter_table('follow_code', schema=None) as batch_op:
        batch_op.create_index('ix_follow_code_email_created_at', ['email', 'created_at'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_token_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    # Plain ALTER TABLE: no table rebuild on SQLite.
    op.add_column('order', sa.Column('channel', sa.String(length=10), server_default='checkout', nullable=False))
    op.add_column('order', sa.Column('payload_hash', sa.String(length=64), nullable=True))



def downgrade():
    op.drop_column('order', 'payload_hash')
    op.drop_column('order', 'channel')

    op.drop_table('api_token')
    with op.batch_alter_table('follow_code', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_code_email_created_at')

    op.drop_table('follow_code')
