"""The dry run: every row checked and matched to the shop's customers, the counts and problems it reports,
what to write (with keep_plan), and the invalid rows as a file to download.

`analyse` reads the file twice: pass one reads each row's contact keys (matching.read_keys), matching asks
the database in batches, then pass two checks the other cells against the stored customers (changes). A row
whose values all equal the stored ones is skipped as unchanged; one that differs only in values the customer
already has is skipped as kept, unless the import overwrites them. Each update found goes to `on_change`, so
the dry run can list them all without holding them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import Membership
from ..services import exports
from .batches import chunks
from .changes import FieldChange, MembershipChange, RowChanges, field_changes, row_changes
from .mapping import Columns
from .matching import (
    DeliveryAddress,
    RowKeys,
    StoredCustomer,
    find_duplicates,
    match,
    read_keys,
    stored_customers,
)
from .notes import with_notes
from .reading import CsvFile
from .rules import NOTE, TAGS
from .tagging import TagChange, with_tags

Progress = Callable[[int, int], None]
OnChange = Callable[["Change", StoredCustomer], None]


@dataclass(frozen=True)
class Problem:
    """Why a row can't be imported: its row number in the file, the column (its header) and the message."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class NewCustomer:
    """A customer to create, with checked values."""

    row: int
    values: dict
    address: DeliveryAddress | None
    membership: MembershipChange | None  # with its ID
    note: str | None = None  # a private note for them
    tags: TagChange | None = None  # their tags


@dataclass(frozen=True)
class Change:
    """What a row changes on an existing customer."""

    row: int
    customer_id: int
    values: dict  # customer columns with their new values
    address: DeliveryAddress | None
    membership: MembershipChange | None
    labels: tuple[str, ...]  # the changed fields as the form names them
    name: str  # the customer's name afterwards, for the trail
    note: str | None = None  # a private note to add
    fields: tuple[FieldChange, ...] = ()  # each stored value before and after
    tags: TagChange | None = None  # their tags before and after


@dataclass
class Analysis:
    """What importing the file would do (a dry run), and with keep_plan what to write."""

    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    kept: int = 0  # rows that differ only in values the customer has (overwrite off)
    empty: int = 0
    problems: list[Problem] = field(default_factory=list)
    invalid_rows: list[int] = field(default_factory=list)
    creates: list[NewCustomer] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        """Rows left out for their problems."""
        return len(self.invalid_rows)

    @property
    def skip(self) -> int:
        """Rows that change nothing: unchanged or kept customers and rows with nothing to import."""
        return self.unchanged + self.kept + self.empty

    @property
    def to_import(self) -> int:
        """Customers the import creates or updates."""
        return self.create + self.update

    def summary(self) -> dict:
        """The counts and problems as JSON-ready values."""
        return {"rows": self.rows, "create": self.create, "update": self.update, "unchanged": self.unchanged,
                "kept": self.kept, "empty": self.empty, "invalid": self.invalid,
                "problems": [[p.row, p.column, p.message] for p in self.problems]}


@dataclass(frozen=True)
class _Run:
    """One dry run's setting: the file through its mapping, the shop's country, the membership IDs in use."""

    columns: Columns
    region: str
    taken: dict[str, int]  # every membership ID in use (upper-cased) -> its customer
    keep_plan: bool
    result: Analysis
    overwrite: bool = False
    on_change: OnChange | None = None


def analyse(source: CsvFile, mapping: list[str], region: str, *, overwrite: bool = False, keep_plan: bool = False,
            progress: Progress | None = None, on_change: OnChange | None = None) -> Analysis:
    """Check every row and match it to the shop's customers; counts, problems and (keep_plan) what to write.

    `overwrite` lets filled cells replace stored values (else they only fill empty fields). Reads the database,
    never writes. `progress(done, total)` is called every few thousand rows; `on_change(change, customer)`
    for every update, with the customer as stored.
    """
    columns = Columns(source, mapping)
    report = progress or (lambda _done, _total: None)
    total = source.rows * 2
    keys = read_keys(columns, region, lambda done: report(done, total))
    find_duplicates(keys)
    match(keys)
    run = _Run(columns, region, _membership_owners() if "membership_id" in columns.index else {}, keep_plan,
               Analysis(rows=source.rows), overwrite, on_change)
    _pass_two(run, keys, lambda done: report(source.rows + done, total))
    report(total, total)
    return run.result


def _membership_owners() -> dict[str, int]:
    """Every membership ID in use, upper-cased, and the customer holding it (one query for the whole file)."""
    return dict(db.session.execute(select(func.upper(Membership.membership_id), Membership.customer_id)).all())


def _pass_two(run: _Run, keys: list[RowKeys], report: Callable[[int], None]) -> None:
    """Check the remaining cells of each row against the rules and the stored customer; count and plan."""
    records = run.columns.source.records()
    done = 0
    for part in chunks(keys):
        stored = stored_customers({k.customer_id for k in part if k.customer_id is not None}
                                  | {cid for k in part for cid in k.candidates})
        if NOTE in run.columns.index:
            stored = with_notes(stored)
        if TAGS in run.columns.index:
            stored = with_tags(stored)
        for row in part:
            number, raw = next(records)
            if row.empty and not row.problems:
                run.result.empty += 1
                continue
            cells = {} if row.broken else run.columns.cells(raw)
            _decide(run, number, row, cells, stored)
        done += len(part)
        report(done)


def _decide(run: _Run, number: int, row: RowKeys, cells: dict[str, str], stored: dict[int, StoredCustomer]) -> None:
    """Decide one row: invalid, unchanged, an update or a new customer."""
    result = run.result
    if row.broken:
        _invalid(run, number, row)
        return
    # Neither email nor number: a customer with the same name holding exactly these values is this row.
    if any(_same_as(run, row, cells, stored[cid]) for cid in row.candidates):
        result.unchanged += 1
        return
    current = stored.get(row.customer_id) if row.customer_id is not None else None
    changes = row_changes(row, cells, current, run.taken, run.region, run.overwrite)
    if row.problems:
        _invalid(run, number, row)
    elif current is None:
        result.create += 1
        if run.keep_plan:
            result.creates.append(NewCustomer(number, changes.values, changes.address, changes.membership,
                                              changes.note, changes.tags))
    elif not changes.labels:
        if changes.withheld:
            result.kept += 1
        else:
            result.unchanged += 1
    else:
        result.update += 1
        if run.keep_plan or run.on_change:
            change = _change(number, current, changes)
            if run.keep_plan:
                result.changes.append(change)
            if run.on_change:
                run.on_change(change, current)


def _same_as(run: _Run, row: RowKeys, cells: dict[str, str], candidate: StoredCustomer) -> bool:
    """Whether the row, checked against this stored customer, changes nothing and breaks no rule (holding
    exactly its values: compared as if overwriting, so a row with other values is someone else)."""
    same = RowKeys(membership_id=row.membership_id)
    return not row_changes(same, cells, candidate, run.taken, run.region, overwrite=True).labels and not same.problems


def _change(number: int, current: StoredCustomer, changes: RowChanges) -> Change:
    """An update to write, with the customer's name afterwards for the trail."""
    after = {**current.values, **changes.values}
    name = " ".join(p for p in (after["first_name"], after["last_name"]) if p) or after["email"] or ""
    return Change(number, current.id, changes.values, changes.address, changes.membership, changes.labels, name,
                  changes.note, field_changes(current, changes), changes.tags)


def _invalid(run: _Run, number: int, row: RowKeys) -> None:
    """Count a row as invalid and keep its problems."""
    run.result.invalid_rows.append(number)
    for problem in row.problems:
        run.result.problems.append(Problem(number, run.columns.header_of(problem.field), problem.message))


# ---- the invalid rows as a file ------------------------------------------------------------------------------


def invalid_rows_csv(source: CsvFile, problems: Iterable[tuple[int, str, str]]) -> Iterator[str]:
    """The invalid rows as in the file plus an "error" column, as CSV text (UTF-8 BOM, the file's delimiter).

    `problems` are (row, column, message), as the dry run's summary keeps them.
    """
    messages: dict[int, list[str]] = defaultdict(list)
    for number, column, message in problems:
        messages[number].append(f"{column}: {message}" if column else message)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=source.delimiter, lineterminator="\r\n")
    writer.writerow([exports.guard(h) for h in source.header] + ["error"])
    yield "\ufeff" + out.getvalue()
    for number, raw in source.records():
        if number in messages:
            out.seek(0)
            out.truncate()
            cells = raw + [""] * (len(source.header) - len(raw))
            # The export's guard, so a formula in the file can't run when this file is opened; a cell the
            # export had guarded keeps its one quote, so importing this file reads the values the check read.
            writer.writerow([exports.guard(exports.unguard(c)) for c in cells] + ["; ".join(messages[number])])
            yield out.getvalue()
