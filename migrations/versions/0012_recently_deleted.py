"""Recently deleted: a deleted customer is kept whole in deleted_customer for 30 days, so they can be restored;
the trail gets the actions "restore" and "purge".

Deleting still takes the customer's rows out of customer, address, membership and note, so the count triggers
of 0003, 0008 and 0011 take them off the counts as before, and putting the rows back counts them again: no
trigger changes, and no list, count, search, export or match has to learn to leave deleted customers out. The
unique indexes on email, membership ID and submission key only see customers who are there, so a deleted
customer blocks no one; a restore that would clash is refused by the application with a message.

On SQLite the CHECK on audit_event.action is widened in the stored table definition, by the procedure 0011
uses for the customer table (no row, index or trigger is touched; the rows fit both the old and the new list).

Revision ID: 0012
Revises: 0011
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ACTIONS_0011 = ('create', 'edit', 'delete', 'anonymize', 'export', 'import', 'order')
ACTIONS = ('create', 'edit', 'delete', 'restore', 'purge', 'anonymize', 'export', 'import', 'order')
# What a downgrade makes of the new actions, so that the trail still reads right under 0011's list.
ACTIONS_BACK = {'restore': 'create', 'purge': 'delete'}


def _check(actions: tuple[str, ...]) -> str:
    """The action CHECK as its constraint clause."""
    return f"CONSTRAINT ck_audit_event_action CHECK (action IN ({', '.join(repr(a) for a in actions)}))"


def _earlier(name: str):
    """An earlier revision's module (versions/ is not a package), for its helpers."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"crm_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _set_actions(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Replace the action CHECK on audit_event (SQLite: in its stored definition; PostgreSQL: drop and add)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        migration_0011 = _earlier("0011_counts_per_segment.py")

        def edit(sql: str) -> str:
            if _check(old) not in sql:
                raise RuntimeError("audit_event's action CHECK isn't the one this revision expects")
            return sql.replace(_check(old), _check(new), 1)

        migration_0011._sqlite_edit_table("audit_event", edit)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_action")
        op.execute(f"ALTER TABLE audit_event ADD {_check(new)}")


def _begin() -> None:
    """On SQLite, run this revision in one transaction, so it happens whole or not at all."""
    if op.get_bind().dialect.name == "sqlite":
        _earlier("0011_counts_per_segment.py")._sqlite_begin()


def upgrade():
    _begin()
    _set_actions(ACTIONS_0011, ACTIONS)
    op.create_table(
        'deleted_customer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=201), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=False),
        sa.Column('deleted_by_id', sa.Integer(), nullable=True),
        sa.Column('deleted_by', sa.String(length=254), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['deleted_by_id'], ['user.id'], name=op.f('fk_deleted_customer_deleted_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deleted_customer')),
    )
    op.create_index('ix_deleted_customer_deleted_at', 'deleted_customer', ['deleted_at', 'id'], unique=False)


def _check_downgradable() -> None:
    """Refuse to go back while Recently deleted holds customers: 0011 has nowhere to keep them."""
    waiting = op.get_bind().exec_driver_sql("SELECT count(*) FROM deleted_customer").scalar()
    if waiting:
        raise RuntimeError(f"{waiting} customer(s) are in Recently deleted: restore them, or remove them for good "
                           "with `flask --app crm purge --all`, before going back to revision 0011")


def downgrade():
    _begin()
    _check_downgradable()
    for new, old in ACTIONS_BACK.items():
        op.execute(f"UPDATE audit_event SET action = '{old}' WHERE action = '{new}'")
    _set_actions(ACTIONS, ACTIONS_0011)
    op.drop_index('ix_deleted_customer_deleted_at', table_name='deleted_customer')
    op.drop_table('deleted_customer')
