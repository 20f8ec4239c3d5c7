"""Audit trail: who created, edited, deleted, anonymized, exported or imported customers, field by field;
the add form's one-time key, so a double submit creates one customer; accent-free search words.

Revision ID: 0004
Revises: 0003
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _folded_search_text(text: str) -> str:
    # Frozen copy of crm.services.customers.search_text_for's folding as it was at this revision.
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    extra = [w for w in folded.split() if w not in text.split()]
    return " ".join([text, *extra]) if extra else text


def _add_folded_search_words():
    """Existing customers with accented names get their accent-free words too ("zoe" finds "Zoë")."""
    bind = op.get_bind()
    customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("search_text", sa.Text))
    rows = bind.execute(sa.select(customer.c.id, customer.c.search_text)).all()
    changed = [{"cid": cid, "text": _folded_search_text(text)} for cid, text in rows
               if text and not text.isascii() and _folded_search_text(text) != text]
    if changed:
        bind.execute(customer.update().where(customer.c.id == sa.bindparam("cid"))
                     .values(search_text=sa.bindparam("text")), changed)


def upgrade():
    # Plain ALTER TABLE, not batch mode: rebuilding the customer table on SQLite would drop the search
    # and segment-count triggers of 0002 and 0003.
    op.add_column('customer', sa.Column('submission_key', sa.String(length=43), nullable=True))
    op.create_index('uq_customer_submission_key', 'customer', ['submission_key'], unique=True)
    _add_folded_search_words()

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=201), nullable=False),
    sa.Column('field', sa.String(length=50), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.CheckConstraint("action IN ('create', 'edit', 'delete', 'anonymize', 'export', 'import', 'order')", name=op.f('ck_audit_event_action')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_audit_event_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action', ['action', 'occurred_at'], unique=False)
        batch_op.create_index('ix_audit_event_customer', ['customer_id', 'occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_occurred_at', ['occurred_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_occurred_at')
        batch_op.drop_index('ix_audit_event_customer')
        batch_op.drop_index('ix_audit_event_action')

    op.drop_table('audit_event')
    op.drop_index('uq_customer_submission_key', table_name='customer')
    op.drop_column('customer', 'submission_key')
