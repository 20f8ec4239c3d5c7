"""Reading the upload: decoding it, finding its separator, the CsvFile, and the reasons a file is refused.

The file is read as UTF-8 (with or without a byte order mark), comma, semicolon or tab separated, with one
header row. Every refusal is a BadFile whose message tells the owner what to do, in the page's language (a file
is refused while its upload is answered; a job reading it again never keeps a BadFile's message).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..services import exports

MAX_COLUMNS = 200
# The csv module refuses a cell longer than its field limit, 131,072 characters unless raised: a file with one
# long note would read as broken. A cell can't be longer than its file, and the upload limit (IMPORT_MAX_BYTES)
# already bounds the file, which is read into memory whole; so the limit is raised, for the whole process
# (it is a process-wide setting), to the most every platform's csv module takes.
CELL_LIMIT = 2**31 - 1
csv.field_size_limit(max(csv.field_size_limit(), CELL_LIMIT))
SHOWN_LABEL = 100  # characters of a column's header shown on the pages (the file keeps it whole)
SHOWN_VALUE = 60  # characters of a column's first value shown beside it

SAVE_AS_CSV = _l("In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)” and upload that file.")
# Binary files people upload by mistake, by their first bytes.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", _l("This is a PNG image, not a CSV file.")),
    (b"\xff\xd8\xff", _l("This is a JPEG image, not a CSV file.")),
    (b"GIF8", _l("This is a GIF image, not a CSV file.")),
    (b"%PDF", _l("This is a PDF document, not a CSV file.")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", _l("This is an Excel 97-2003 workbook (.xls), not a CSV file. "
                                             "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”.")),
    (b"\x1f\x8b", _l("This is a compressed (gzip) file, not a CSV file.")),
)


class BadFile(ValueError):
    """The upload can't be read as a customer CSV file; the message says why and what to do."""


@dataclass(frozen=True)
class CsvFile:
    """A decoded CSV file: its delimiter, header and number of data rows (blank lines included)."""

    text: str
    delimiter: str
    header: list[str]
    rows: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as a spreadsheet shows it, cells) of each data row; the header is row 1."""
        reader = _reader(self.text, self.delimiter)
        next(reader, None)
        for number, cells in enumerate(reader, start=2):
            yield number, cells

    def labels(self) -> list[str]:
        """Each column's header as shown to people (see column_labels)."""
        return column_labels(self.header)


def shorten(text: str, limit: int) -> str:
    """Text cut to `limit` characters, ending in "…" when it was longer (a 1 MB cell can't fill a page)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def column_labels(header: list[str]) -> list[str]:
    """Each column's header as shown to people: "Column 3" for a blank one, a long one shortened."""
    return [shorten(h, SHOWN_LABEL) if h else f"Column {i + 1}" for i, h in enumerate(header)]


def cell(raw: str) -> str:
    """A cell as typed: the export's formula guard taken off (exports.unguard), then outer spaces trimmed.

    The guard comes off first: a value the export guarded reads back exactly (a guarded tab stays a tab).
    """
    return exports.unguard(raw).strip()


def _reader(text: str, delimiter: str):
    """A strict csv reader over the whole text (a stray quote is an error, not a guess)."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _save_as(message: str) -> BadFile:
    """A refusal that ends by saying how to save the file as CSV UTF-8 from Excel."""
    return BadFile(f"{message} {SAVE_AS_CSV}")


def _refuse_binary(data: bytes) -> None:
    """BadFile naming the kind of file when the upload is UTF-16/32, an archive, an image or other binary."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _save_as(_("This file is UTF-32: save it as CSV UTF-8."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _save_as(_("This file is UTF-16: save it as CSV UTF-8."))
    if data.startswith(b"PK\x03\x04"):
        if b"xl/" in data[:200_000] or b"spreadsheet" in data[:200]:
            raise _save_as(_("This is a spreadsheet workbook (.xlsx or .ods), not a CSV file."))
        raise BadFile(_("This is a ZIP archive, not a CSV file."))
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise BadFile(str(message))
    head = data[:4096]
    if b"\x00" in head:
        # Text in UTF-16 without a byte order mark has a zero byte beside almost every ASCII character.
        if head.count(b"\x00") * 3 > len(head):
            raise _save_as(_("This file looks like UTF-16: save it as CSV UTF-8."))
        raise BadFile(_("This isn't a CSV file: it holds binary data."))


def decode(data: bytes) -> str:
    """The file's text; BadFile naming the encoding (or the kind of file) when it isn't UTF-8 text."""
    _refuse_binary(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            raise _save_as(_("This file isn't UTF-8 text (line %(line)s has bytes that are not).", line=line)) from exc
        raise _save_as(_("This file isn't UTF-8: it looks like Windows-1252 or Latin-1 (line %(line)s has an "
                         "accented letter or symbol in that encoding).", line=line)) from exc


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many European locales) or tab: whichever the header line has most of."""
    first = text.split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", first)  # a quoted header may contain the other characters
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


@dataclass(frozen=True)
class _Shape:
    """What one pass over the file learns: its header, its data rows, and how many of them hold anything."""

    header: list[str] | None
    rows: int
    filled: int


def _scan(text: str, delimiter: str) -> _Shape:
    """Parse every row once, counting them; BadFile when the csv module finds the quoting broken."""
    reader = _reader(text, delimiter)
    header: list[str] | None = None
    rows = filled = 0
    number, start_line = 0, 1
    try:
        while True:
            start_line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return _Shape(header, rows, filled)
            number += 1
            if header is None:
                header = [cell(c) for c in cells]
                continue
            rows += 1
            if any(c.strip() for c in cells):
                filled += 1
    except csv.Error as exc:
        raise _broken_quoting(str(exc), number + 1, start_line, reader.line_num) from exc


def _broken_quoting(message: str, row: int, start_line: int, line: int) -> BadFile:
    """What to tell the owner about a row the csv module can't read: too long a cell, or a quote astray."""
    if "field larger than field limit" in message:
        limit = f"{csv.field_size_limit():,}"
        return BadFile(_("Row %(row)s (from line %(line)s) has a cell longer than %(limit)s characters, more than an "
                         "import can read: shorten it.", row=row, line=start_line, limit=limit))
    if "unexpected end of data" in message:
        return BadFile(_("Row %(row)s has a quote (\") that is never closed (from line %(line)s), so the rest of the "
                         "file reads as one cell. Close the quote, or remove it.", row=row, line=start_line))
    return BadFile(_("Row %(row)s (line %(line)s) has a stray quote (\"). A cell with quotes must start and end with "
                     "one, and quotes inside it are doubled (\"\").", row=row, line=line))


def read_csv(data: bytes) -> CsvFile:
    """Decode and parse the whole upload once; BadFile with a message for the owner when it can't be used."""
    if not data.strip():
        raise BadFile(_("This file is empty."))
    text = decode(data)
    if not text.strip():
        raise BadFile(_("This file is empty."))
    delimiter = sniff_delimiter(text)
    shape = _scan(text, delimiter)
    if not shape.header or not any(shape.header):
        raise BadFile(_("The first row is empty: it should name the columns (first_name, last_name, email ...)."))
    if len(shape.header) > MAX_COLUMNS:
        raise BadFile(_("This file has %(count)s columns; an import takes at most %(most)s.",
                        count=len(shape.header), most=MAX_COLUMNS))
    if not shape.filled:
        raise BadFile(_("This file has a header row but no customers."))
    return CsvFile(text=text, delimiter=delimiter, header=shape.header, rows=shape.rows)
