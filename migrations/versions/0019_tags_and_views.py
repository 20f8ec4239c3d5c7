"""Organising customers: tags (a shop-wide list and the tags on each customer) and saved views of the customer
list, with the built-in "Lapsed" view and its setting (shop_settings.lapsed_days, 180 by default).

The trail's actions grow by "tag" (a customer's tags changed), "bulk" (an action on many customers), "tags" (the
tag list changed: renamed, recoloured, merged, deleted) and "view" (a saved view made, renamed or deleted). Only
the CHECK on audit_event.action changes, as in 0013. No customer row is touched. Going down removes what was
added: a customer's tag events read as edits, the other new events are removed.

Revision ID: 0019
Revises: 0018
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

ACTIONS_0018 = ('create', 'edit', 'delete', 'restore', 'purge', 'anonymize', 'export', 'import', 'order', 'undo',
                'note', 'sign-in', 'sign-in-failed', 'sign-out', 'password', 'two-step', 'invite', 'join', 'role',
                'member', 'settings', 'token')
ACTIONS = ACTIONS_0018 + ('tag', 'bulk', 'tags', 'view')


def _migration_0012():
    """Revision 0012's module (versions/ is not a package), for its CHECK helpers."""
    path = Path(__file__).with_name("0012_recently_deleted.py")
    spec = importlib.util.spec_from_file_location(f"crm_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_tags():
    op.create_table(
        'tag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('name_key', sa.String(length=80), nullable=False),
        sa.Column('colour', sa.String(length=16), nullable=True),
        sa.Column('customers', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tag')),
    )
    op.create_index('uq_tag_name_key', 'tag', ['name_key'], unique=True)
    op.create_table(
        'customer_tag',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_tag_customer_id_customer'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_customer_tag_tag_id_tag'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('customer_id', 'tag_id', name=op.f('pk_customer_tag')),
    )
    op.create_index('ix_customer_tag_tag', 'customer_tag', ['tag_id', 'customer_id'], unique=False)


def _create_views():
    views = op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('builtin', sa.String(length=20), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_saved_view_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_view')),
    )
    op.create_index('ix_saved_view_position', 'saved_view', ['position', 'id'], unique=False)
    op.create_index('uq_saved_view_builtin', 'saved_view', ['builtin'], unique=True)
    # Every shop, new or upgraded, starts with the Lapsed view; its arguments follow shop_settings.lapsed_days.
    now = sa.func.current_timestamp()
    op.execute(views.insert().values(name='Lapsed', position=0, args={}, builtin='lapsed', created_at=now,
                                     updated_at=now))
    op.add_column('shop_settings', sa.Column('lapsed_days', sa.Integer(), server_default='180', nullable=False))


def upgrade():
    earlier = _migration_0012()
    earlier._begin()
    earlier._set_actions(ACTIONS_0018, ACTIONS)
    _create_tags()
    _create_views()


def downgrade():
    earlier = _migration_0012()
    earlier._begin()
    op.execute("UPDATE audit_event SET action = 'edit' WHERE action = 'tag'")
    op.execute("DELETE FROM audit_event WHERE action IN ('bulk', 'tags', 'view')")
    earlier._set_actions(ACTIONS, ACTIONS_0018)
    with op.batch_alter_table('shop_settings') as batch:
        batch.drop_column('lapsed_days')
    op.drop_index('uq_saved_view_builtin', table_name='saved_view')
    op.drop_index('ix_saved_view_position', table_name='saved_view')
    op.drop_table('saved_view')
    op.drop_index('ix_customer_tag_tag', table_name='customer_tag')
    op.drop_table('customer_tag')
    op.drop_index('uq_tag_name_key', table_name='tag')
    op.drop_table('tag')
