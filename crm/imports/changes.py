"""What one row changes on a customer: its cells checked by the rules and compared with the stored values.

Updating: by default a filled cell only fills a field that is empty on the customer; with "Overwrite existing
values" it replaces what is stored. An empty cell always leaves the field alone (an import never erases data).
A value the row would replace but may not is withheld: the row changes nothing there, and its cell is checked
only to tell whether it differs (its problems don't make the row invalid, since it isn't written). The
delivery address and the membership are one value each: a customer who has one keeps it whole unless
overwriting. Email-marketing consent is empty while it was never recorded (asked neither way). Values are
compared after normalizing, so a fresh export reads back as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from ..customers import fields
from . import rules
from .matching import DeliveryAddress, HeldMembership, RowKeys, StoredCustomer
from .messages import N_
from .notes import note_change
from .rules import ADDRESS_LABEL, ADDRESS_PARTS, FIELDS
from .tagging import TagChange, tag_change

ADDRESS_KEYS = (*ADDRESS_PARTS, "country")
_ORDER = {f.key: i for i, f in enumerate(fields.FIELDS)}

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
    withheld: tuple[str, ...] = ()  # fields that differ but keep their stored value (overwrite is off)
    tags: TagChange | None = None  # the customer's tags before and after (imports/tagging.py)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One stored value an update changes: the field's key, the value before and after (as stored)."""

    key: str
    old: object
    new: object


class _Diff:
    """The changes of one row as they are found (the row's problems go on its keys)."""

    def __init__(self, row: RowKeys, cells: dict[str, str], current: StoredCustomer | None, region: str,
                 overwrite: bool):
        """Compare this row's cells with `current` (None: a new customer, so everything is a change)."""
        self.row, self.cells, self.current, self.region = row, cells, current, region
        self.place = rules.where(region)
        self.old = current.values if current is not None else {}
        self.replaces = overwrite or current is None  # may a stored value be replaced
        self.overwrite = overwrite
        self.values: dict = {}
        self.labels: list[str] = []
        self.withheld: list[str] = []

    def fills(self, key: str) -> bool:
        """Whether the row may set this field: when overwriting (or creating), else only while it is empty."""
        if self.replaces:
            return True
        if fields.BY_KEY[key].part == "consent":  # empty while never recorded either way
            return not self.old[key] and dict(self.current.consented_at).get(key) is None
        return self.old.get(key) in (None, "")

    def read(self, column: str, reader):
        """The row's cell in an import-only column (a note, tags) as `reader` reads it; None for a blank cell,
        and for one that can't be read, which fails the row with why."""
        raw = self.cells.get(column, "")
        if not raw or not raw.strip():
            return None
        try:
            return reader(raw)
        except rules.Invalid as exc:
            self.row.fail(column, str(exc))
            return None

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Check cells whose values won't be written: their problems go nowhere."""
        row, self.row = self.row, RowKeys()
        try:
            yield
        finally:
            self.row = row

    def changed(self, key: str, value) -> None:
        """Keep a value that differs from the stored one (every value of a new customer), if it may be set."""
        if self.current is None or self.old.get(key) != value:
            if not self.fills(key):
                self.withheld.append(FIELDS[key])
                return
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
            if self.fills(key):
                value = self.check(key, raw)
            else:
                with self.quietly():
                    value = self.check(key, raw)
            if value is not REFUSED:
                self.changed(key, value)


def row_changes(row: RowKeys, cells: dict[str, str], current: StoredCustomer | None, taken: dict[str, int],
                region: str, overwrite: bool = False) -> RowChanges:
    """The row's values that differ from `current` (all of them for a new customer), checked; without
    `overwrite` only those that fill an empty field (the others are `withheld`).

    `taken` is every membership ID in use (upper-cased) and who holds it; problems go on `row`.
    """
    diff = _Diff(row, cells, current, region, overwrite)
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
    tags = tag_change(diff)
    return RowChanges(diff.values, address, membership, tuple(diff.labels), note, tuple(diff.withheld), tags)


def as_text(key: str, value: object) -> str | None:
    """A stored value as import_change keeps it: text as it is, a date in ISO 8601, consent as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def from_text(key: str, text: str | None) -> object:
    """The stored value import_change kept as text (as_text's inverse)."""
    if text is None:
        return None
    if fields.BY_KEY[key].part == "consent":
        return text == "true"
    return date.fromisoformat(text) if key == "membership_expires_on" else text


def field_changes(current: StoredCustomer, changes: RowChanges) -> tuple[FieldChange, ...]:
    """Each stored value an update changes, before and after, in the form's order (address and membership
    part by part, as a hand edit's trail has them)."""
    out = [FieldChange(key, current.values.get(key), value) for key, value in changes.values.items()]
    if changes.address is not None:
        held = current.address
        for key in ADDRESS_KEYS:
            old, new = (getattr(held, key) if held is not None else None), getattr(changes.address, key)
            if old != new:
                out.append(FieldChange(key, old, new))
    if changes.membership is not None:
        held = current.membership
        for key, new in (("membership_id", changes.membership.membership_id),
                         ("membership_expires_on", changes.membership.expires_on)):
            column = "expires_on" if key == "membership_expires_on" else key
            old = getattr(held, column) if held is not None else None
            if new is not None and old != new:
                out.append(FieldChange(key, old, new))
    return tuple(sorted(out, key=lambda change: _ORDER[change.key]))


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
        diff.row.fail("membership_id", N_("Another customer already has this membership ID"))
        return None
    if held is not None and held.membership_id == mid:
        return None
    if held is not None and not diff.replaces:
        diff.withheld.append(FIELDS["membership_id"])
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
    # Without overwriting, a held membership keeps its expiry, and takes one only for its own ID.
    if held is not None and not diff.replaces and (
            held.expires_on is not None or diff.row.membership_id not in (None, held.membership_id)):
        with diff.quietly():
            expires = diff.check("membership_expires_on", raw)
        if expires is not REFUSED and expires != held.expires_on:
            diff.withheld.append(FIELDS["membership_expires_on"])
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
    if held is not None and not diff.replaces:
        with diff.quietly():
            new = _checked_address(diff, parts, country_cell, default_country)
        if new is not None and new != held:
            diff.withheld.append(ADDRESS_LABEL)
        return None
    new = _checked_address(diff, parts, country_cell, default_country)
    if new is None or held == new:
        return None
    diff.labels.append(ADDRESS_LABEL)
    return new


def _checked_address(diff: _Diff, parts: tuple[str, ...], country_cell: str,
                     default_country: str) -> DeliveryAddress | None:
    """The row's address read in its country, or None (with the problems on the row) when a part is refused."""
    country = diff.check("country", country_cell) if country_cell else default_country
    if country is REFUSED:
        return None
    checked = _address_parts(diff, parts, country)
    if REFUSED in checked.values():
        return None
    return DeliveryAddress(**checked, country=country)


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
