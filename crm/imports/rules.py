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
from .messages import N_

__all__ = ["ADDRESS_LABEL", "ADDRESS_PARTS", "FIELDS", "IMPORT_ONLY", "NOTE", "NO_NAME_OR_CONTACT", "STREET_2",
           "TAGS", "Invalid", "Where", "check", "where"]

ADDRESS_LABEL = N_("Delivery address")  # a changed address in the trail: one value, whichever parts changed
Invalid = checks.Invalid
# What other shops' exports hold that is no customer field but still belongs to the customer: a second street
# line ("Default Address Address2", "billing_address_2"), joined to the street, since the address keeps its
# street as one line; a note, kept as a private note on the customer dated by the import; and tags (names
# separated by ";" or ",", added to the customer's, or replacing them when overwriting: imports/tagging.py).
STREET_2 = "street_2"
NOTE = "note"
TAGS = "tags"
# Labels and messages the jobs keep stay English (the pages show them translated: messages.shown).
IMPORT_ONLY: dict[str, str] = {STREET_2: N_("Street, second line"), NOTE: N_("Private note"), TAGS: N_("Tags")}
# Every importable field by key (the export's column names), in the order the mapping offers them: the
# registry's, then the import's own.
FIELDS: dict[str, str] = {**{f.key: f.choice_label for f in fields.FIELDS}, **IMPORT_ONLY}
# A new customer needs something to be known by: a name, an email or a phone number (display_name shows a
# nameless one by their email, or as "Customer <id>").
NO_NAME_OR_CONTACT = N_("This row has no name, email or phone number: give at least one of them")


@lru_cache(maxsize=256)
def where(region: str, country: str = "") -> Where:
    """What a cell is read in: the shop's country, and for an address part the address's country."""
    return Where(region=region, country=country)


# Each field's check (what Field.read calls), looked up once: the import checks a million cells a run.
_CHECKS = {f.key: f.check for f in fields.FIELDS}


def check(key: str, value: str, place: Where) -> object:
    """The stored value of a filled cell of field `key` (as Field.read gives it); Invalid saying what is wrong."""
    return _CHECKS[key](value, place)
