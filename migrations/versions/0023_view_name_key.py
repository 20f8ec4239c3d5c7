"""Saved view names unique in the database, not only when checked: saved_view gets name_key (the name
case-folded, as the view form compares names) under a unique index, so two people saving "VIPs" and "vips"
at the same moment get one view and a message, not two tabs of the same name. Two views that already share a
name in some case (only such a race made them) keep theirs apart: the later one is renamed "Name (2)".

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def _distinct_names(rows: list[tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """Each view's (name, key), the later of two views sharing a key renamed with " (2)", " (3)"..."""
    taken, out = set(), {}
    for view_id, name in rows:
        kept, number = name, 2
        while kept.casefold() in taken:
            kept = f"{name[:54]} ({number})"
            number += 1
        taken.add(kept.casefold())
        out[view_id] = (kept, kept.casefold())
    return out


def upgrade():
    with op.batch_alter_table("saved_view") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=180), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name FROM saved_view ORDER BY id")).all()
    for view_id, (name, key) in _distinct_names([tuple(row) for row in rows]).items():
        connection.execute(sa.text("UPDATE saved_view SET name = :name, name_key = :key WHERE id = :id"),
                           {"name": name, "key": key, "id": view_id})
    op.create_index("uq_saved_view_name_key", "saved_view", ["name_key"], unique=True)


def downgrade():
    op.drop_index("uq_saved_view_name_key", table_name="saved_view")
    op.drop_column("saved_view", "name_key")  # SQLite drops a column in place since 3.35
