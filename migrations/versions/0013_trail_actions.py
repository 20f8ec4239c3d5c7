"""The trail's list of actions grows for the shop's team and for imports that can be undone: "undo" (an import
undone), "note" (a private note written, edited or deleted), and the events of accounts and settings that have
no customer: sign-in, sign-in-failed, sign-out, password, two-step, invite, join, role, member, settings, token.

Only the CHECK on audit_event.action changes (on SQLite in the stored table definition, as 0012 does it); no row
is touched. Going back down, an undo reads as an import and a note event as an edit, and the account and
settings events, which 0012's trail has no place for, are removed.

Revision ID: 0013
Revises: 0012
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ACTIONS_0012 = ('create', 'edit', 'delete', 'restore', 'purge', 'anonymize', 'export', 'import', 'order')
ACCOUNT_ACTIONS = ('sign-in', 'sign-in-failed', 'sign-out', 'password', 'two-step', 'invite', 'join', 'role',
                   'member', 'settings', 'token')
ACTIONS = ACTIONS_0012 + ('undo', 'note') + ACCOUNT_ACTIONS
ACTIONS_BACK = {'undo': 'import', 'note': 'edit'}


def _migration_0012():
    """Revision 0012's module (versions/ is not a package), for its CHECK helpers."""
    path = Path(__file__).with_name("0012_recently_deleted.py")
    spec = importlib.util.spec_from_file_location(f"crm_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    earlier = _migration_0012()
    earlier._begin()
    earlier._set_actions(ACTIONS_0012, ACTIONS)


def downgrade():
    earlier = _migration_0012()
    earlier._begin()
    for new, old in ACTIONS_BACK.items():
        op.execute(f"UPDATE audit_event SET action = '{old}' WHERE action = '{new}'")
    listed = ", ".join(f"'{action}'" for action in ACCOUNT_ACTIONS)
    op.execute(f"DELETE FROM audit_event WHERE action IN ({listed})")
    earlier._set_actions(ACTIONS, ACTIONS_0012)
