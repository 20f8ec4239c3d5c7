"""Which column holds what: guessing each column's field from its header, the mapping people choose
(map_<column> arguments), what makes a mapping unusable, and where each mapped field sits in a row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..customers import fields
from ..services import exports
from ..services.customers import fold_accents
from . import rules
from .messages import shown
from .reading import CsvFile, cell
from .rules import FIELDS

EXPORT_COLUMNS = exports.COLUMNS  # a file the export wrote reads back column for column
# Columns of the export that are never imported: the shop works them out (figures come only from orders).
COMPUTED_COLUMNS = ("id", "segment", "order_count", "total_spent", "last_order_at", "source", "created_at")

# Words other systems put before a field's name ("Default Address Zip", "Customer Email", "Billing City").
_PREFIXES = ("defaultaddress", "billingaddress", "shippingaddress", "deliveryaddress", "billing", "shipping",
             "delivery", "customers", "customer", "contact", "default", "primary", "main", "address")
# Header words of the import's own targets (rules.IMPORT_ONLY): a second street line and a note.
_IMPORT_ONLY_WORDS = {
    rules.STREET_2: ("address2", "addressline2", "line2", "street2", "streetline2", "streetaddress2", "alamat2"),
    rules.NOTE: ("note", "notes", "comment", "comments", "remarks", "customernote", "customernotes", "catatan"),
    rules.TAGS: ("tags", "tag", "customertags", "labels", "label"),
}
# Header words (lower-case letters and digits only) that name each field in other systems' files: the
# registry's synonyms, then the import's own.
_LOOKUP = {word: field.key for field in fields.FIELDS for word in field.synonyms}
_LOOKUP.update({word: key for key, words in _IMPORT_ONLY_WORDS.items() for word in words})
# A delivery address's phone (Shopify's "Default Address Phone", a shipping phone) is never guessed as the
# contact number: it is often the recipient's or an office's, and a number is how rows find their customer, so
# someone else's number could update the wrong customer. The customer's own "Phone" is the contact number;
# the owner may still choose an address's phone by hand.
_ADDRESS_PHONES = frozenset(("defaultaddressphone", "addressphone", "shippingaddressphone", "shippingphone",
                             "deliveryphone", "deliveryaddressphone"))
_COMPUTED_WORDS = {re.sub(r"[^a-z0-9]", "", c) for c in COMPUTED_COLUMNS}
# Why some columns other systems export are left out, shown beside the column on the check page.
COMPUTED_NOTE = _l("Worked out by the shop, not imported")
_NOTES = {
    **dict.fromkeys(("customerid", "userid"), _l("The other system's number for the customer, not imported")),
    **dict.fromkeys(("totalorders", "orderscount", "numberoforders", "amountspent"), COMPUTED_NOTE),
    **dict.fromkeys(_ADDRESS_PHONES, _l("A delivery address's phone, often the recipient's: imported only if you "
                                        "choose it")),
}
ARG_PREFIX = "map_"  # the mapping travels as map_<column index>=<field> in URLs and forms
NAMED_BY = ("first_name", "last_name", "email", "phone", "whatsapp")  # what a customer can be known by


def _word(header: str) -> str:
    """A header as lower-case letters and digits only ("E-mail" -> "email")."""
    return re.sub(r"[^a-z0-9]", "", fold_accents(header))


def guess_field(header: str) -> str:
    """The field a column header most likely names ("E-mail" -> "email", "Zip" -> "postcode"), or ""."""
    return _guess(_word(header))


def _guess(word: str) -> str:
    """The field a header word names, taking off one known prefix after another ("billingaddress1" tries
    "1" after "billingaddress", then "address1" after "billing")."""
    if not word or word in _ADDRESS_PHONES:
        return ""
    if word in _LOOKUP:
        return _LOOKUP[word]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix):
            found = _guess(word[len(prefix):])
            if found:
                return found
    return ""


def column_note(header: str) -> str:
    """Why a column other systems export is left out ("Worked out by the shop, not imported"), or ""."""
    word = _word(header)
    return COMPUTED_NOTE if word in _COMPUTED_WORDS else _NOTES.get(word, "")


def left_out(labels: list[str], mapping: list[str]) -> list[str]:
    """The columns (as shown) that the mapping doesn't import."""
    return [label for label, key in zip(labels, mapping) if not key]


def is_computed(header: str) -> bool:
    """Whether a column is one of the export's figures the shop works out itself (never imported)."""
    return _word(header) in _COMPUTED_WORDS


def guess_mapping(header: list[str]) -> list[str]:
    """A field for each column (or "" to leave it out); each field goes to the first column that names it."""
    taken: set[str] = set()
    mapping = []
    for name in header:
        key = guess_field(name)
        if key in taken:
            key = ""
        taken.add(key)
        mapping.append(key)
    return mapping


def clean_mapping(header: list[str], chosen: Iterable[str | None]) -> list[str]:
    """The mapping as asked for, one entry per column; unknown fields and missing entries mean "leave out"."""
    chosen = list(chosen)
    out = []
    for i in range(len(header)):
        key = chosen[i] if i < len(chosen) else ""
        out.append(key if key in FIELDS else "")
    return out


def from_args(header: list[str], values: Mapping[str, str]) -> list[str]:
    """The mapping in map_<column> arguments, or the guessed one when none was given."""
    if not any(key.startswith(ARG_PREFIX) for key in values):
        return guess_mapping(header)
    return clean_mapping(header, [values.get(f"{ARG_PREFIX}{i}", "") for i in range(len(header))])


def as_args(mapping: list[str]) -> dict[str, str]:
    """The mapping as map_<column> URL or form arguments."""
    return {f"{ARG_PREFIX}{i}": key for i, key in enumerate(mapping)}


def mapping_problems(labels: list[str], mapping: list[str]) -> list[str]:
    """Why the mapping can't be imported as it is: nothing to know a customer by, a field chosen twice (in the
    page's language: only the pages ask)."""
    problems = []
    columns: dict[str, list[str]] = defaultdict(list)
    for label, key in zip(labels, mapping):
        if key:
            columns[key].append(label)
    if not columns.keys() & set(NAMED_BY):
        problems.append(_("No column is imported as a name, an email or a phone number: choose the columns that "
                          "hold them."))
    for key, names in columns.items():
        if len(names) > 1:
            listed = (" " + _("and") + " ").join(f"“{n}”" for n in names)
            problems.append(_("%(columns)s are all imported as %(field)s: choose one of them.", columns=listed,
                              field=shown(FIELDS[key])))
    return problems


class Columns:
    """A file read through one mapping: where each mapped field is, and each column's header."""

    def __init__(self, source: CsvFile, mapping: list[str]):
        """Where each mapped field is in the file, and the header each is shown by."""
        self.source = source
        self.index = {key: i for i, key in enumerate(mapping) if key}
        self.labels = source.labels()
        self.column = {key: self.labels[i] for key, i in self.index.items()}
        self.width = len(source.header)

    def cells(self, raw: list[str]) -> dict[str, str]:
        """The mapped cells of a row, cleaned (absent columns read as blank); a second street line is joined to
        the street ("12 Smith St, Unit 4"), which the address keeps as one line."""
        cells = {key: cell(raw[i]) if i < len(raw) else "" for key, i in self.index.items()}
        if rules.STREET_2 in cells:
            cells["street"] = ", ".join(p for p in (cells.get("street", ""), cells.pop(rules.STREET_2)) if p)
        return cells

    def header_of(self, key: str) -> str:
        """The file's header for a field's column; a field the file lacks (a postcode it needs) by its label."""
        return self.column.get(key) or FIELDS.get(key, "")
