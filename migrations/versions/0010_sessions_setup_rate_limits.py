"""Sign-ins kept on the server, an installation row that makes first-run setup atomic, shared rate limits.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    """Add user_session, installation (filled in when an owner exists already) and rate_limit."""
    # New tables only: "user" is never rebuilt (SQLite's rebuild would null every reference to it).
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash'))
    )
    op.create_index('ix_user_session_user_id', 'user_session', ['user_id'], unique=False)
    op.create_index('ix_user_session_expires_at', 'user_session', ['expires_at'], unique=False)

    op.create_table('installation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('set_up_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_installation_single_row')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_installation_owner_id_user'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installation'))
    )
    # A shop set up before this revision: its first owner made the installation.
    op.execute(
        "INSERT INTO installation (id, owner_id, set_up_at) "
        "SELECT 1, id, created_at FROM \"user\" WHERE role = 'owner' ORDER BY id LIMIT 1")

    op.create_table('rate_limit',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit'))
    )
    op.create_index('ix_rate_limit_expires_at', 'rate_limit', ['expires_at'], unique=False)


def downgrade():
    """Drop the three tables (everyone signs in again with the session_token the cookie named before)."""
    op.drop_index('ix_rate_limit_expires_at', table_name='rate_limit')
    op.drop_table('rate_limit')
    op.drop_table('installation')
    op.drop_index('ix_user_session_expires_at', table_name='user_session')
    op.drop_index('ix_user_session_user_id', table_name='user_session')
    op.drop_table('user_session')
