"""The check's list of changes: every customer an import would update, with each field's old and new value.

The dry run writes it beside its state, one customer a line (JSON), as it finds them, so a 100,000-row check
never holds the list in memory; the check page reads one page of it and the download streams all of it as
CSV. The file is written under a temporary name and renamed into place before the state says "done".
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from ..customers import fields
from ..services import exports, tags
from . import rules
from .matching import StoredCustomer
from .plan import Change

PAGE_SIZE = 25
CSV_HEADER = ("customer_id", "name", "field", "old value", "new value")


def name_for(state_name: str) -> str:
    """The list's file beside a dry run's state file."""
    return state_name.removesuffix(".json") + ".changes.jsonl"


def customer_name(current: StoredCustomer) -> str:
    """The customer's name as stored now (their email or number when they have none)."""
    values = current.values
    name = " ".join(p for p in (values["first_name"], values["last_name"]) if p)
    return name or values["email"] or values["phone"] or values["whatsapp"] or f"Customer {current.id}"


class ChangeList:
    """The list being written by one dry run (`close` puts it in place; `discard` drops it)."""

    def __init__(self, path: Path, region: str):
        """Write to a temporary file beside `path`; numbers are shown as in the shop's country."""
        self.path, self.region = path, region
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        self.out = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115 (closed by close or discard)

    def add(self, change: Change, current: StoredCustomer) -> None:
        """One customer's line: id, name, and each changed field as its label, old and new value shown."""
        shown = [[fields.BY_KEY[f.key].label, fields.trail_value(f.key, f.old, self.region),
                  fields.trail_value(f.key, f.new, self.region)] for f in change.fields]
        if change.note:  # notes are added, never replaced: nothing before it
            shown.append([rules.IMPORT_ONLY[rules.NOTE], None, change.note])
        if change.tags:
            shown.append([rules.IMPORT_ONLY[rules.TAGS], tags.shown(change.tags.before), tags.shown(change.tags.after)])
        self.out.write(json.dumps([current.id, customer_name(current), shown], separators=(",", ":")) + "\n")

    def close(self) -> None:
        """Put the finished list in place."""
        self.out.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """Drop an unfinished list."""
        self.out.close()
        self.tmp.unlink(missing_ok=True)


def _lines(path: Path) -> Iterator[list]:
    """Every customer in the list, in the file's order (nothing when there is no list)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)
    except FileNotFoundError:
        return


def page_of(path: Path, page: int, size: int | None = None) -> list[dict]:
    """One page of the list (from 1): each customer's id, name and changes (label, old, new)."""
    size = size or PAGE_SIZE
    rows = islice(_lines(path), (page - 1) * size, page * size)
    return [{"id": cid, "name": name, "changes": changes} for cid, name, changes in rows]


def as_csv(path: Path) -> Iterator[str]:
    """The whole list as CSV text (UTF-8 BOM), one line per changed field, with the export's formula guard."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + out.getvalue()
    for cid, name, changes in _lines(path):
        out.seek(0)
        out.truncate()
        for label, old, new in changes:
            writer.writerow([cid, *(exports.guard(v or "") for v in (name, label, old, new))])
        yield out.getvalue()
