"""The shop's team: members get a name, a set of permissions, a deactivation time and their last sign-in; the
roles become the presets owner, manager, staff and read_only; invitations get a table of their own.

Every existing account keeps what it could do: an owner gets every permission, a staff account the Staff
preset's. "user" is never rebuilt (on SQLite a rebuild would null every note author and trail entry pointing
at it): the columns are added in place and the role CHECK is edited in the stored table definition, as 0012
does for the trail's actions. Going back down, managers become staff and read-only members staff too (0013's
roles are owner and staff only); what they could do is no longer recorded.

Revision ID: 0015
Revises: 0014
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ROLES_BEFORE = ('owner', 'staff')
ROLES = ('owner', 'manager', 'staff', 'read_only')
# The presets' permissions as they were when this revision was written (crm/services/permissions.py).
OWNER = 'view edit orders export import delete insights audit settings tokens team'
STAFF = 'view edit orders insights'
COLUMNS = ('name', 'permissions', 'deactivated_at', 'last_sign_in_at')


def _earlier(name: str):
    """An earlier revision's module (versions/ is not a package), for its helpers."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"crm_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(roles: tuple[str, ...]) -> str:
    """The role CHECK as its constraint clause."""
    return f"CONSTRAINT ck_user_role CHECK (role IN ({', '.join(repr(r) for r in roles)}))"


def _set_roles(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Replace the role CHECK on "user" (SQLite: in its stored definition; PostgreSQL: drop and add)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        def edit(sql: str) -> str:
            if _check(old) not in sql:
                raise RuntimeError("user's role CHECK isn't the one this revision expects")
            return sql.replace(_check(old), _check(new), 1)

        _earlier("0011_counts_per_segment.py")._sqlite_edit_table("user", edit)
    elif dialect == "postgresql":
        op.execute('ALTER TABLE "user" DROP CONSTRAINT ck_user_role')
        op.execute(f'ALTER TABLE "user" ADD {_check(new)}')


def upgrade():
    _earlier("0012_recently_deleted.py")._begin()
    op.add_column('user', sa.Column('name', sa.String(length=100), server_default='', nullable=False))
    op.add_column('user', sa.Column('permissions', sa.String(length=255), server_default='', nullable=False))
    op.add_column('user', sa.Column('deactivated_at', sa.DateTime(), nullable=True))
    op.add_column('user', sa.Column('last_sign_in_at', sa.DateTime(), nullable=True))
    op.execute(f"""UPDATE "user" SET permissions = '{OWNER}' WHERE role = 'owner'""")
    op.execute(f"""UPDATE "user" SET permissions = '{STAFF}' WHERE role = 'staff'""")
    _set_roles(ROLES_BEFORE, ROLES)
    op.create_table(
        'invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('owner', 'manager', 'staff', 'read_only')", name=op.f('ck_invitation_role')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash')),
    )
    op.create_index('ix_invitation_email_lower', 'invitation', [sa.text('lower(email)')], unique=False)


def downgrade():
    _earlier("0012_recently_deleted.py")._begin()
    op.drop_index('ix_invitation_email_lower', table_name='invitation')
    op.drop_table('invitation')
    op.execute("""UPDATE "user" SET role = 'staff' WHERE role IN ('manager', 'read_only')""")
    _set_roles(ROLES, ROLES_BEFORE)
    # SQLite drops a column in place (ALTER TABLE DROP COLUMN, 3.35+) when nothing refers to it: no rebuild.
    for column in reversed(COLUMNS):
        op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
