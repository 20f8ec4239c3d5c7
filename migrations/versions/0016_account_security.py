"""Account security: two-step verification (TOTP secret, the last time step used, recovery codes), when each
sign-in was last seen, and the shop's "Require two-step verification" setting.

Columns are added with plain ALTER TABLE ... ADD COLUMN, never by rebuilding a table: rebuilding "user" on
SQLite would set every note author and trail entry pointing at it to NULL. Existing sign-ins are last seen
when they started; existing accounts have no two-step. (Names and deactivation came with 0015.)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

USER_COLUMNS = (
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('two_step_since', sa.DateTime(), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
)


def upgrade():
    for column in USER_COLUMNS:
        op.add_column('user', column)
    op.add_column('user_session', sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE user_session SET last_seen_at = created_at")
    op.add_column('shop_settings', sa.Column('require_two_step', sa.Boolean(), server_default=sa.false(),
                                             nullable=False))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_recovery_code_user_id', table_name='recovery_code')
    op.drop_table('recovery_code')
    # SQLite 3.35+ drops a plain column in place (none of these is indexed, unique or a key), so "user" is
    # never rebuilt.
    op.drop_column('shop_settings', 'require_two_step')
    op.drop_column('user_session', 'last_seen_at')
    for column in reversed(USER_COLUMNS):
        op.drop_column('user', column.name)
