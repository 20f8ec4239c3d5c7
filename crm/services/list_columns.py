"""The customer list's columns: which there are, which show until a person chooses ("Columns"), and each
person's choice, kept on their account (user.list_columns) so it follows them to every device.

The name always shows: it is what a row is. The defaults fit one line per customer at 1280 px wide.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import User


@dataclass(frozen=True)
class Column:
    key: str  # in the form (column=<key>), the template and user.list_columns
    label: str  # the header and the checkbox's label (translatable: lazy_gettext)
    default: bool = True
    phone: bool = True  # on a phone's customer card too (a card keeps to what fits a glance)


COLUMNS = (
    Column("email", _l("Email"), phone=False),
    Column("phone", _l("Contact number")),
    Column("company", _l("Company"), default=False, phone=False),
    Column("tags", _l("Tags"), phone=False),  # on a phone, the first tag beside the name
    Column("segment", _l("Segment")),
    Column("orders", _l("Orders"), default=False, phone=False),
    Column("spent", _l("Total spent")),
    Column("last_order", _l("Last order")),
    Column("since", _l("Customer since"), default=False, phone=False),
    Column("location", _l("Location")),
)
BY_KEY = {column.key: column for column in COLUMNS}
DEFAULTS = tuple(column.key for column in COLUMNS if column.default)


# The list's sorts (crm/services/customers.py SORTS) that are a column's values: sorted by one, the list shows
# that column even when the person hid it, so what the order follows is in sight. (Newest, the default
# order, needs no column.)
SORTED_COLUMNS = {"orders": "orders", "spent": "spent", "last_order": "last_order"}


def shown(user: User | None, sort: str | None = None) -> tuple[str, ...]:
    """The columns this person sees, in the list's order: their choice (else the defaults), and the column
    the list is sorted by."""
    chosen = list(user.list_columns if user is not None and user.list_columns is not None else DEFAULTS)
    chosen.append(SORTED_COLUMNS.get(sort))
    return tuple(column.key for column in COLUMNS if column.key in chosen)


def choose(user: User, keys: list[str]) -> bool:
    """Keep the columns this person ticked (unknown keys dropped; none ticked leaves the name alone); False
    when that is what they see already."""
    chosen = [column.key for column in COLUMNS if column.key in keys]
    if chosen == list(DEFAULTS if user.list_columns is None else user.list_columns):
        return False
    user.list_columns = chosen
    db.session.flush()
    return True
