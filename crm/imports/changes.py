"""What one row changes on a customer: its cells checked by the rules and compared with the stored values.

Updating: a non-empty cell overwrites what is stored, an empty cell leaves it alone (an import never erases
data). The delivery address is one value: a row with any of street, suburb, state or postcode replaces the
whole stored address. Values are compared after normalizing, so a fresh export reads back as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..customers import fields
from . import rules
from .matching import DeliveryAddress, HeldMembership, RowKeys, StoredCustomer
from .notes import note_change
from .rules import ADDRESS_LABEL, ADDRESS_PARTS, FIELDS

REFUSED = object()  # what _Diff.check gives for a cell that breaks its rule (the problem is on the row)


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A membership's new ID and expiry date; None leaves that one as it is."""

    membership_id: str | None = None
    expires_on: date | None = None

    def columns(self) -> dict:
        """The membership columns this changes, with their new values."""
        return {key: value for key, value in (("membership_id", self.membership_id),
                                              ("expires_on", self.expires_on)) if value is not None}


@dataclass(frozen=True, slots=True)
class RowChanges:
    """What a row changes: customer columns, the address, the membership, and those fields' labels."""

    values: dict
    address: DeliveryAddress | None
    membership: MembershipChange | None
    labels: tuple[str, ...]  # the changed fields as the form names them, in the form's order
    note: str | None = None  # a private note to add (imports/notes.py)


class _Diff:
    """The changes of one row as they are found (the row's problems go on its keys)."""

    def __init__(self, row: RowKeys, cells: dict[str, str], current: StoredCustomer | None, region: str):
        """Compare this row's cells with `current` (None: a new customer, so everything is a change)."""
        self.row, self.cells, self.current, self.region = row, cells, current, region
        self.place = rules.where(region)
        self.old = current.values if current is not None else {}
        self.values: dict = {}
        self.labels: list[str] = []

    def changed(self, key: str, value) -> None:
        """Keep a value that differs from the stored one (every value of a new customer)."""
        if self.current is None or self.old.get(key) != value:
            self.values[key] = value
            self.labels.append(FIELDS[key])

    def check(self, key: str, value: str, place: rules.Where | None = None):
        """The field's value for a cell (read in the shop's country unless `place` says otherwise); REFUSED,
        with the problem on the row, when the field's check refuses the cell."""
        try:
            return rules.check(key, value, place or self.place)
        except rules.Invalid as exc:
            self.row.fail(key, str(exc))
            return REFUSED

    def cells_of(self, keys: tuple[str, ...]) -> None:
        """Check and keep the filled cells of these fields that differ from what is stored."""
        for key in keys:
            raw = self.cells.get(key, "")
            # The same text as stored needs no check (most cells of a file read back from the export).
            if not raw or (self.current is not None and raw == self.old[key]):
                continue
            value = self.check(key, raw)
            if value is not REFUSED:
                self.changed(key, value)


def row_changes(row: RowKeys, cells: dict[str, str], current: StoredCustomer | None, taken: dict[str, int],
                region: str) -> RowChanges:
    """The row's values that differ from `current` (all of them for a new customer), checked.

    `taken` is every membership ID in use (upper-cased) and who holds it; problems go on `row`.
    """
    diff = _Diff(row, cells, current, region)
    diff.cells_of(("first_name", "last_name", "company_name"))
    if current is None and not row.name and row.without_contact():
        row.fail("", rules.NO_NAME_OR_CONTACT)
    if row.email and not (current is not None and (diff.old["email"] or "").lower() == row.email.lower()):
        diff.changed("email", row.email)
    for key in ("phone", "whatsapp"):
        if getattr(row, key):
            diff.changed(key, getattr(row, key))
    diff.cells_of(("abn", *(f.key for f in fields.CONSENTS)))
    membership = _membership(diff, taken)
    address = _address(diff)
    note = note_change(diff)
    return RowChanges(diff.values, address, membership, tuple(diff.labels), note)


def _membership(diff: _Diff, taken: dict[str, int]) -> MembershipChange | None:
    """Membership ID and expiry changes; an ID held by another customer or malformed is a problem."""
    held = diff.current.membership if diff.current is not None else None
    new_id = _membership_id(diff, held, taken)
    expires = _expiry(diff, held)
    if new_id is None and expires is None:
        return None
    return MembershipChange(new_id, expires)


def _membership_id(diff: _Diff, held: HeldMembership | None, taken: dict[str, int]) -> str | None:
    """The row's membership ID when it differs from the held one and nobody else holds it."""
    mid = diff.row.membership_id
    if not mid:
        return None
    owner = taken.get(mid)
    if owner is not None and (diff.current is None or owner != diff.current.id):
        diff.row.fail("membership_id", "Another customer already has this membership ID")
        return None
    if held is not None and held.membership_id == mid:
        return None
    # Every ID in use is in `taken`, so only the form of a new one is left to check.
    if owner is None and diff.check("membership_id", mid) is REFUSED:
        return None
    diff.labels.append(FIELDS["membership_id"])
    return mid


def _expiry(diff: _Diff, held: HeldMembership | None) -> date | None:
    """The row's membership expiry date when it differs from the held one (it needs a membership)."""
    raw = diff.cells.get("membership_expires_on", "")
    if not raw:
        return None
    expires = diff.check("membership_expires_on", raw)
    if expires is REFUSED:
        return None
    # The ID the customer will hold: the row's, else the one they have.
    holds = diff.row.membership_id or (held.membership_id if held is not None else None)
    missing = fields.record_problems({"membership_expires_on": expires, "membership_id": holds})
    if missing:
        diff.row.fail("membership_expires_on", missing["membership_id"])
        return None
    if held is not None and held.expires_on == expires:
        return None
    diff.labels.append(FIELDS["membership_expires_on"])
    return expires


def _address(diff: _Diff) -> DeliveryAddress | None:
    """The row's address when it has one that differs from the stored one (checked as the form checks it)."""
    parts = tuple(diff.cells.get(key, "") for key in ADDRESS_PARTS)
    if not any(parts):
        return None
    held = diff.current.address if diff.current is not None else None
    country_cell = diff.cells.get("country", "")
    default_country = held.country if held is not None else diff.region
    # The same text as stored, read in the same country, needs no check.
    if held is not None and parts == held.parts and (country_cell or default_country) == held.country:
        return None
    country = diff.check("country", country_cell) if country_cell else default_country
    if country is REFUSED:
        return None
    checked = _address_parts(diff, parts, country)
    if REFUSED in checked.values():
        return None
    new = DeliveryAddress(**checked, country=country)
    if held == new:
        return None
    diff.labels.append(ADDRESS_LABEL)
    return new


def _address_parts(diff: _Diff, parts: tuple[str, ...], country: str) -> dict[str, object]:
    """Each part of an address checked in its country; a part the address needs (the suburb, a postcode in
    AU and MY) is REFUSED, with the problem on the row, when it is blank."""
    typed = dict(zip(ADDRESS_PARTS, parts))
    missing = fields.record_problems({**typed, "country": country})
    place = rules.where(diff.region, country)
    checked = {}
    for key, raw in typed.items():
        if key in missing:
            diff.row.fail(key, missing[key])
            checked[key] = REFUSED
        else:
            checked[key] = diff.check(key, raw, place)
    return checked
