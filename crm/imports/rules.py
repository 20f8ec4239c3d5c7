"""The import's view of the customer field registry (crm/customers/fields.py): which fields a file can fill,
what the import calls them, and the check each filled cell goes through.

Every registry field is importable, in the registry's order, named as the "Import as" choices name it
(Field.choice_label). A cell is checked by its field's own check (Field.read, from crm/customers/checks.py),
as the customer form and the order API check what they are given, and fields.record_problems says what the
fields need together. What is the import's own is said where it happens: a blank cell is never checked and
changes nothing (changes.py), and the delivery address is one change, named "Delivery address".
"""

from __future__ import annotations

from functools import lru_cache

from ..customers import checks, fields
from ..customers.fields import ADDRESS_PARTS, Where

__all__ = ["ADDRESS_LABEL", "ADDRESS_PARTS", "FIELDS", "Invalid", "Where", "check", "where"]

ADDRESS_LABEL = "Delivery address"  # a changed address in the trail: one value, whichever parts changed
Invalid = checks.Invalid
# Every importable field by key (the export's column names), in the order the mapping offers them.
FIELDS: dict[str, str] = {f.key: f.choice_label for f in fields.FIELDS}


@lru_cache(maxsize=256)
def where(region: str, country: str = "") -> Where:
    """What a cell is read in: the shop's country, and for an address part the address's country."""
    return Where(region=region, country=country)


# Each field's check (what Field.read calls), looked up once: the import checks a million cells a run.
_CHECKS = {f.key: f.check for f in fields.FIELDS}


def check(key: str, value: str, place: Where) -> object:
    """The stored value of a filled cell of field `key` (as Field.read gives it); Invalid saying what is wrong."""
    return _CHECKS[key](value, place)
