"""Importing customers from a CSV file: reading it, guessing what its columns hold, a dry run, the import.

The file is read as UTF-8 (with or without a byte order mark), comma or semicolon separated, with one
header row. Each data row is checked with the customer form's rules (the same services: emails, phones,
business, memberships, addresses) and matched to an existing customer by email, then by phone number.

Updating an existing customer: the file's non-empty cells overwrite what is stored, empty cells leave the
stored value alone (an import never erases data). The delivery address is one value: a row with any of
street, suburb, state or postcode replaces the whole stored address. A row whose values all equal the stored
ones (compared after normalizing, so a fresh export reads back as unchanged) is skipped.

`analyse` is the dry run; with `keep_plan=True` it also keeps what to write, and `write` then writes it in
the caller's transaction with a few batched statements (100,000 rows is a handful of executemany calls,
not 100,000 ORM flushes).
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool

from ..extensions import db
from ..models import Address, AuditEvent, Customer, ImportJob, Membership, User, utcnow
from . import addresses, audit, business, emails, exports, insights, memberships, phones, serial, stats
from .customers import fold_accents, refresh_search_fields
from .text import CONTROL_CHARACTERS_MESSAGE, has_control_characters, squeeze

# Importable fields, keyed by the export's column names, with the labels the customer form uses.
FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Contact number",
    "whatsapp": "WhatsApp number",
    "company_name": "Company name",
    "abn": "ABN",
    "membership_id": "Membership ID",
    "membership_expires_on": "Membership expiry date",
    "street": "Street",
    "city": "Suburb / City",
    "state": "State",
    "postcode": "Postcode",
    "country": "Country",
    "email_marketing": "Email marketing",
}
EXPORT_COLUMNS = exports.COLUMNS  # a file the export wrote reads back column for column
# Columns of the export that are never imported: the shop works them out (figures come only from orders).
COMPUTED_COLUMNS = ("id", "segment", "order_count", "total_spent", "last_order_at", "source", "created_at")
ADDRESS_PARTS = ("street", "city", "state", "postcode")
CONSENT_METHOD = "import"
MAX_COLUMNS = 200
# The csv module refuses a cell longer than its field limit, 131,072 characters unless raised: a file with one
# long note would read as broken. A cell can't be longer than its file, and the upload limit (IMPORT_MAX_BYTES)
# already bounds the file, which is read into memory whole; so the limit is raised, for the whole process
# (it is a process-wide setting), to the most every platform's csv module takes.
CELL_LIMIT = 2**31 - 1
csv.field_size_limit(max(csv.field_size_limit(), CELL_LIMIT))
SHOWN_LABEL = 100  # characters of a column's header shown on the pages (the file keeps it whole)
SHOWN_VALUE = 60  # characters of a column's first value shown beside it
CHUNK = 2_000  # rows per database round trip (IN lists, executemany batches) and per progress report

# Header words (lower-case letters and digits only) that name each field in other systems' files.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("firstname", "first", "givenname", "givennames", "given", "forename", "forenames", "fname",
                   "namapertama"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname", "namaakhir"),
    "email": ("email", "emailaddress", "mail", "emel"),
    "phone": ("phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobilephone", "mobileno", "cell",
              "cellphone", "cellnumber", "telephone", "telephonenumber", "tel", "contactnumber", "contactno",
              "contactphone", "handphone", "hp", "nohp", "notel", "notelefon", "telefon"),
    "whatsapp": ("whatsapp", "whatsappnumber", "whatsappno", "wa", "wanumber"),
    "company_name": ("company", "companyname", "business", "businessname", "organisation", "organization",
                     "organisationname", "organizationname", "syarikat"),
    "abn": ("abn", "australianbusinessnumber", "abnnumber"),
    "membership_id": ("membershipid", "memberid", "membershipnumber", "membernumber", "membershipno",
                      "memberno", "loyaltyid", "loyaltynumber"),
    "membership_expires_on": ("membershipexpireson", "membershipexpiry", "membershipexpirydate", "expireson",
                              "expiry", "expirydate", "expires", "memberexpiry", "expirationdate"),
    "street": ("street", "streetaddress", "address", "address1", "addressline1", "line1", "alamat"),
    "city": ("city", "suburb", "town", "suburbcity", "suburbtown", "towncity", "locality", "bandar"),
    "state": ("state", "province", "provincecode", "statecode", "region", "stateprovince", "territory",
              "negeri"),
    "postcode": ("postcode", "postalcode", "zip", "zipcode", "postal", "poskod"),
    "country": ("country", "countrycode", "countryname", "negara"),
    "email_marketing": ("emailmarketing", "acceptsemailmarketing", "acceptsmarketing", "marketing",
                        "newsletter", "subscribed", "emailoptin", "optin", "marketingconsent",
                        "emailconsent", "subscribe"),
}
# Words other systems put before a field's name ("Default Address Zip", "Customer Email", "Billing City").
_PREFIXES = ("defaultaddress", "billingaddress", "shippingaddress", "deliveryaddress", "billing", "shipping",
             "delivery", "customers", "customer", "contact", "default", "primary", "main", "address")
_LOOKUP = {word: key for key, words in _SYNONYMS.items() for word in words}
_COMPUTED_WORDS = {re.sub(r"[^a-z0-9]", "", c) for c in COMPUTED_COLUMNS}

_TRUE = frozenset(("true", "yes", "y", "1"))
_FALSE = frozenset(("false", "no", "n", "0"))
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The local part email-validator accepts as it is (plain ASCII dot-atom), so only the domain needs checking.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Binary files people upload by mistake, by their first bytes.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "This is a PNG image, not a CSV file."),
    (b"\xff\xd8\xff", "This is a JPEG image, not a CSV file."),
    (b"GIF8", "This is a GIF image, not a CSV file."),
    (b"%PDF", "This is a PDF document, not a CSV file."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "This is an Excel 97-2003 workbook (.xls), not a CSV file. "
                                          "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”."),
    (b"\x1f\x8b", "This is a compressed (gzip) file, not a CSV file."),
)
SAVE_AS_CSV = "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)” and upload that file."


class BadFile(ValueError):
    """The upload can't be read as a customer CSV file; the message says why and what to do."""


# ---- reading the file ------------------------------------------------------------------------------------


@dataclass
class CsvFile:
    """A decoded CSV file: its delimiter, header and number of data rows (blank lines included)."""

    text: str
    delimiter: str
    header: list[str]
    rows: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as a spreadsheet shows it, cells) of each data row; the header is row 1."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True)
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


def decode(data: bytes) -> str:
    """The file's text; BadFile naming the encoding (or the kind of file) when it isn't UTF-8 text."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise BadFile(f"This file is UTF-32: save it as CSV UTF-8. {SAVE_AS_CSV}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadFile(f"This file is UTF-16: save it as CSV UTF-8. {SAVE_AS_CSV}")
    if data.startswith(b"PK\x03\x04"):
        if b"xl/" in data[:200_000] or b"spreadsheet" in data[:200]:
            raise BadFile(f"This is a spreadsheet workbook (.xlsx or .ods), not a CSV file. {SAVE_AS_CSV}")
        raise BadFile("This is a ZIP archive, not a CSV file.")
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise BadFile(message)
    head = data[:4096]
    if b"\x00" in head:
        # Text in UTF-16 without a byte order mark has a zero byte beside almost every ASCII character.
        if head.count(b"\x00") * 3 > len(head):
            raise BadFile(f"This file looks like UTF-16: save it as CSV UTF-8. {SAVE_AS_CSV}")
        raise BadFile("This isn't a CSV file: it holds binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            raise BadFile(f"This file isn't UTF-8 text (line {line} has bytes that are not). "
                          f"{SAVE_AS_CSV}") from exc
        raise BadFile(f"This file isn't UTF-8: it looks like Windows-1252 or Latin-1 (line {line} has an "
                      f"accented letter or symbol in that encoding). {SAVE_AS_CSV}") from exc


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many European locales) or tab: whichever the header line has most of."""
    first = text.split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", first)  # a quoted header may contain the other characters
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_csv(data: bytes) -> CsvFile:
    """Decode and parse the whole upload once; BadFile with a message for the owner when it can't be used."""
    if not data.strip():
        raise BadFile("This file is empty.")
    text = decode(data)
    if not text.strip():
        raise BadFile("This file is empty.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows = filled = 0
    number, start_line = 0, 1
    try:
        while True:
            start_line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            number += 1
            if header is None:
                header = [cell(c) for c in cells]
                continue
            rows += 1
            if any(c.strip() for c in cells):
                filled += 1
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            raise BadFile(f"Row {number + 1} (from line {start_line}) has a cell longer than "
                          f"{csv.field_size_limit():,} characters, more than an import can read: shorten it."
                          ) from exc
        if "unexpected end of data" in message:
            raise BadFile(f"Row {number + 1} has a quote (\") that is never closed (from line {start_line}), "
                          "so the rest of the file reads as one cell. Close the quote, or remove it.") from exc
        raise BadFile(f"Row {number + 1} (line {reader.line_num}) has a stray quote (\"). A cell with quotes "
                      "must start and end with one, and quotes inside it are doubled (\"\").") from exc
    if not header or not any(header):
        raise BadFile("The first row is empty: it should name the columns (first_name, last_name, email ...).")
    if len(header) > MAX_COLUMNS:
        raise BadFile(f"This file has {len(header)} columns; an import takes at most {MAX_COLUMNS}.")
    if not filled:
        raise BadFile("This file has a header row but no customers.")
    return CsvFile(text=text, delimiter=delimiter, header=header, rows=rows)


# ---- which column holds what ------------------------------------------------------------------------------


def _word(header: str) -> str:
    """A header as lower-case letters and digits only ("E-mail" -> "email")."""
    return re.sub(r"[^a-z0-9]", "", fold_accents(header))


def guess_field(header: str) -> str:
    """The field a column header most likely names ("E-mail" -> "email", "Zip" -> "postcode"), or ""."""
    word = _word(header)
    while word:
        if word in _LOOKUP:
            return _LOOKUP[word]
        prefix = next((p for p in _PREFIXES if word.startswith(p) and len(word) > len(p)), None)
        if prefix is None:
            return ""
        word = word[len(prefix):]
    return ""


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


def mapping_problems(labels: list[str], mapping: list[str]) -> list[str]:
    """Why the mapping can't be imported as it is: no first name column, a field chosen twice."""
    problems = []
    columns: dict[str, list[str]] = defaultdict(list)
    for label, key in zip(labels, mapping):
        if key:
            columns[key].append(label)
    if "first_name" not in columns:
        problems.append("No column is imported as First name: choose the column that holds first names.")
    for key, names in columns.items():
        if len(names) > 1:
            listed = " and ".join(f"“{n}”" for n in names)
            problems.append(f"{listed} are all imported as {FIELDS[key]}: choose one of them.")
    return problems


# ---- checking cells ---------------------------------------------------------------------------------------


class _Invalid(ValueError):
    """One cell's problem."""


def cell(raw: str) -> str:
    """A cell as typed: the export's formula guard taken off (exports.unguard), then outer spaces trimmed.

    The guard comes off first: a value the export guarded reads back exactly (a guarded tab stays a tab).
    """
    return exports.unguard(raw).strip()


def _text(value: str, limit: int, too_long: str) -> str:
    """Squeezed text within its length and without control characters, as the customer form takes it."""
    value = squeeze(value)
    if len(value) > limit:
        raise _Invalid(too_long)
    # Printable ASCII (most cells) can hold none; only other text is looked at character by character.
    if not (value.isascii() and value.isprintable()) and has_control_characters(value):
        raise _Invalid(CONTROL_CHARACTERS_MESSAGE)
    return value


_TEXT_RULES = {
    "first_name": (100, "Keep the first name to 100 characters"),
    "last_name": (100, "Keep the last name to 100 characters"),
    "company_name": (200, "Keep the company name to 200 characters"),
    "street": (200, "Keep the street to 200 characters"),
    "city": (100, "Keep the suburb or city to 100 characters"),
}


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    """A domain as email-validator normalizes it (checked once per domain: most rows share a few)."""
    return emails.normalize_email(f"x@{domain}").rpartition("@")[2]


def normalize_email(value: str) -> str:
    """emails.normalize_email, quicker for the plain addresses most files hold.

    email-validator checks the part before the @ and the domain separately; a plain ASCII local part
    (dot-atom) passes unchanged, so only the domain needs the slow check, and that is cached.
    """
    local, at, domain = value.rpartition("@")
    if at and len(local) <= 64 and len(value) <= 254 and domain.isascii() and _PLAIN_LOCAL.fullmatch(local):
        return f"{local}@{_email_domain(domain)}"
    return emails.normalize_email(value)


def parse_bool(value: str) -> bool:
    """Email marketing consent: true/false, yes/no, y/n, 1/0 in any case."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _Invalid("Use true or false (yes/no and 1/0 work too)")


def parse_date(value: str) -> date:
    """An ISO date (2027-03-31), as the export writes it."""
    if not _ISO_DATE.match(value):
        raise _Invalid("Use a date such as 2027-03-31 (year-month-day)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid("This date doesn't exist") from exc


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Two-letter codes and English names (lower-cased) -> code."""
    names = Locale.parse("en").territories
    out = {}
    for code, name in names.items():
        if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO"):
            out[code.lower()] = code
            out[name.lower()] = code
    return out


def parse_country(value: str) -> str:
    """A country as its code ("AU", "au") or English name ("Malaysia")."""
    code = _countries().get(squeeze(value).lower())
    if code is None:
        raise _Invalid("Use a two-letter country code such as AU, or the country's name")
    return code


# ---- the dry run --------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Why a row can't be imported: its row number in the file, the column (its header) and the message."""

    row: int
    column: str
    message: str


@dataclass
class NewCustomer:
    """A customer to create, with checked values."""

    row: int
    values: dict
    address: tuple | None  # (street, city, state, postcode, country)
    membership: tuple | None  # (membership_id, expires_on)


@dataclass
class Change:
    """What a row changes on an existing customer."""

    row: int
    customer_id: int
    values: dict  # customer columns with their new values
    address: tuple | None
    membership: dict  # "membership_id" / "expires_on" -> new value (empty when the membership stays)
    labels: list[str]  # the changed fields as the form names them
    name: str  # the customer's name afterwards, for the trail


@dataclass
class Analysis:
    """What importing the file would do (a dry run), and with keep_plan what to write."""

    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
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
        """Rows that change nothing: unchanged customers and rows with nothing to import."""
        return self.unchanged + self.empty

    @property
    def to_import(self) -> int:
        """Customers the import creates or updates."""
        return self.create + self.update

    def summary(self) -> dict:
        """The counts and problems as JSON-ready values."""
        return {"rows": self.rows, "create": self.create, "update": self.update, "unchanged": self.unchanged,
                "empty": self.empty, "invalid": self.invalid,
                "problems": [[p.row, p.column, p.message] for p in self.problems]}


@dataclass(slots=True)
class _Keys:
    """What pass 1 learns about a row: its contact keys and its problems so far."""

    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    membership_id: str | None = None
    name: str = ""  # first and last name, folded as the stored name_key is
    broken: bool = False  # more cells than the header: nothing in it can be trusted
    empty: bool = False
    problems: list | None = None
    customer_id: int | None = None
    candidates: tuple = ()

    def fail(self, column: str, message: str) -> None:
        """Note a problem with one of the row's cells."""
        if self.problems is None:
            self.problems = []
        self.problems.append((column, message))


@dataclass(slots=True)
class _Stored:
    """A customer's stored values, as a row is compared with them."""

    id: int
    values: dict
    anonymized: bool
    address: tuple | None
    membership: tuple | None  # (membership_id, expires_on)


Progress = Callable[[int, int], None]


class _Context:
    """Column positions and the shop's region for one run."""

    def __init__(self, source: CsvFile, mapping: list[str], region: str):
        """Where each mapped field is in the file, and each column's header."""
        self.source = source
        self.region = region
        self.index = {key: i for i, key in enumerate(mapping) if key}
        self.labels = source.labels()
        self.column = {key: self.labels[i] for key, i in self.index.items()}
        self.width = len(source.header)
        self.phone_cache: dict[str, str | Exception] = {}

    def cells(self, raw: list[str]) -> dict[str, str]:
        """The mapped cells of a row, cleaned (absent columns read as blank)."""
        return {key: cell(raw[i]) if i < len(raw) else "" for key, i in self.index.items()}

    def e164(self, value: str) -> str:
        """phones.to_e164 in the shop's region, remembered for the run (a number often appears twice)."""
        found = self.phone_cache.get(value)
        if found is None:
            try:
                found = phones.to_e164(value, self.region)
            except phones.InvalidPhone as exc:
                found = exc
            self.phone_cache[value] = found
        if isinstance(found, Exception):
            raise _Invalid(str(found))
        return found


def analyse(source: CsvFile, mapping: list[str], region: str, *, keep_plan: bool = False,
            progress: Progress | None = None) -> Analysis:
    """Check every row and match it to the shop's customers; counts, problems and (keep_plan) what to write.

    Reads the database, never writes. `progress(done, total)` is called every few thousand rows.
    """
    ctx = _Context(source, mapping, region)
    report = progress or (lambda _done, _total: None)
    total = source.rows * 2
    keys = _pass_one(ctx, lambda done: report(done, total))
    _duplicates(ctx, keys)
    _match(ctx, keys)
    result = Analysis(rows=source.rows)
    _pass_two(ctx, keys, result, keep_plan, lambda done: report(source.rows + done, total))
    report(total, total)
    return result


def _pass_one(ctx: _Context, report: Callable[[int], None]) -> list[_Keys]:
    """Every row's email, phone numbers and membership ID, normalized: what matching and duplicates need."""
    out = []
    for n, (_number, raw) in enumerate(ctx.source.records(), start=1):
        keys = _Keys()
        out.append(keys)
        if n % CHUNK == 0:
            report(n)
        if len(raw) > ctx.width and any(c.strip() for c in raw[ctx.width:]):
            name = {",": "comma", ";": "semicolon", "\t": "tab"}[ctx.source.delimiter]
            keys.fail("", f"This row has {len(raw)} cells but the header has {ctx.width}: put quotes around "
                          f"values that contain a {name}")
            keys.broken = True
            continue
        cells = ctx.cells(raw)
        if not any(cells.values()):
            keys.empty = True
            continue
        if cells.get("email"):
            try:
                keys.email = normalize_email(cells["email"])
            except emails.InvalidEmail as exc:
                keys.fail("email", str(exc))
        for key in ("phone", "whatsapp"):
            if cells.get(key):
                try:
                    setattr(keys, key, ctx.e164(cells[key]))
                except _Invalid as exc:
                    keys.fail(key, str(exc))
        if cells.get("membership_id"):
            keys.membership_id = cells["membership_id"].upper()
        keys.name = fold_accents(" ".join(p for p in (squeeze(cells.get("first_name", "")),
                                                      squeeze(cells.get("last_name", ""))) if p))
    report(len(out))
    return out


def _rows_text(rows: list[int]) -> str:
    """ "row 7", "rows 7 and 9", "rows 3, 7 and 9"."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    return "rows " + ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"


def _duplicates(ctx: _Context, keys: list[_Keys]) -> None:
    """Rows sharing an email (in any case) or a membership ID: each is left out, naming the others."""
    for attribute, key, what in (("email", "email", "email"),
                                 ("membership_id", "membership_id", "membership ID")):
        seen: dict[str, list[int]] = defaultdict(list)
        for i, row in enumerate(keys):
            value = getattr(row, attribute)
            if value:
                seen[value.lower()].append(i)
        for indexes in seen.values():
            if len(indexes) > 1:
                numbers = [i + 2 for i in indexes]
                for i in indexes:
                    others = [n for n in numbers if n != i + 2]
                    verb = "has" if len(others) == 1 else "have"
                    keys[i].fail(key, f"{_rows_text(others).capitalize()} {verb} the same {what}")


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    """The list in slices of `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _match(ctx: _Context, keys: list[_Keys]) -> None:
    """Find the customer each row updates: by email, else by phone number (never an anonymized customer).

    A number shared by several customers picks the one with the row's name; a customer with a different
    email is someone else. Rows without email or number can only be recognized as unchanged (see pass two).
    Two rows that would update the same customer are both left out.
    """
    by_email: dict[str, int] = {}
    wanted = sorted({k.email.lower() for k in keys if k.email})
    for part in _chunks(wanted):
        stmt = select(func.lower(Customer.email), Customer.id).where(func.lower(Customer.email).in_(part))
        by_email.update(db.session.execute(stmt).all())
    numbers = sorted({n for k in keys if not (k.email and k.email.lower() in by_email)
                      for n in (k.phone, k.whatsapp) if n})
    by_number: dict[str, list[tuple[int, str | None, str]]] = defaultdict(list)
    for part in _chunks(numbers):
        stmt = (select(Customer.id, Customer.phone, Customer.whatsapp, func.lower(Customer.email),
                       Customer.name_key)
                .where(Customer.anonymized_at.is_(None))
                .where(Customer.phone.in_(part) | Customer.whatsapp.in_(part)).order_by(Customer.id))
        for cid, phone, whatsapp, email, name_key in db.session.execute(stmt):
            for number in {phone, whatsapp}:
                if number:
                    by_number[number].append((cid, email, name_key))
    names = sorted({k.name for k in keys if k.name and _contactless(k)})
    by_name: dict[str, list[int]] = defaultdict(list)
    for part in _chunks(names):
        stmt = (select(Customer.name_key, Customer.id).where(Customer.name_key.in_(part))
                .where(Customer.email.is_(None), Customer.phone.is_(None), Customer.whatsapp.is_(None)))
        for name_key, cid in db.session.execute(stmt):
            by_name[name_key].append(cid)

    claimed: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(keys):
        if row.broken or row.empty:
            continue
        if row.email and row.email.lower() in by_email:
            row.customer_id = by_email[row.email.lower()]
        elif row.phone or row.whatsapp:
            found: dict[int, tuple[str | None, str]] = {}
            for number in (row.phone, row.whatsapp):
                for cid, email, name_key in by_number.get(number or "", ()):
                    found.setdefault(cid, (email, name_key))
            if row.email:  # an email nobody has: a customer with another email is another person
                found = {cid: v for cid, v in found.items() if v[0] is None}
            if len(found) > 1:
                named = [cid for cid, (_email, name_key) in found.items() if name_key == row.name]
                if len(named) != 1:
                    column = "phone" if row.phone else "whatsapp"
                    row.fail(column, f"{len(found)} customers have this number: add the email to tell "
                                     "them apart")
                    continue
                found = {named[0]: found[named[0]]}
            if found:
                row.customer_id = next(iter(found))
        elif _contactless(row) and row.name:
            row.candidates = tuple(by_name.get(row.name, ()))
        if row.customer_id is not None:
            claimed[row.customer_id].append(i)
    for indexes in claimed.values():
        if len(indexes) > 1:
            numbers = [i + 2 for i in indexes]
            for i in indexes:
                others = [n for n in numbers if n != i + 2]
                verb = "matches" if len(others) == 1 else "match"
                keys[i].fail("", f"{_rows_text(others).capitalize()} {verb} the same customer (by email or "
                                 "number): keep one row per customer")
                keys[i].customer_id = None


def _contactless(row: _Keys) -> bool:
    """A row with neither a usable email nor a phone number (and nothing wrong with those cells)."""
    return not (row.email or row.phone or row.whatsapp or row.problems)


def _load(ids: Iterable[int]) -> dict[int, _Stored]:
    """Stored values of some customers, with their address and membership, in one query."""
    ids = list(ids)
    if not ids:
        return {}
    c, a, m = Customer, Address, Membership
    stmt = (select(c.id, c.first_name, c.last_name, c.email, c.phone, c.whatsapp, c.company_name, c.abn,
                   c.email_marketing, c.anonymized_at, a.id, a.street, a.city, a.state, a.postcode, a.country,
                   m.id, m.membership_id, m.expires_on)
            .outerjoin(a, a.customer_id == c.id).outerjoin(m, m.customer_id == c.id).where(c.id.in_(ids)))
    out = {}
    for row in db.session.execute(stmt):
        values = {"first_name": row[1], "last_name": row[2], "email": row[3], "phone": row[4],
                  "whatsapp": row[5], "company_name": row[6], "abn": row[7], "email_marketing": bool(row[8])}
        address = tuple(row[11:16]) if row[10] is not None else None
        membership = (row[17], row[18]) if row[16] is not None else None
        out[row[0]] = _Stored(row[0], values, row[9] is not None, address, membership)
    return out


def _pass_two(ctx: _Context, keys: list[_Keys], result: Analysis, keep_plan: bool,
              report: Callable[[int], None]) -> None:
    """Check the remaining cells of each row against the rules and the stored customer; count and plan."""
    taken = dict(db.session.execute(select(func.upper(Membership.membership_id), Membership.customer_id)).all()
                 ) if "membership_id" in ctx.index else {}
    records = ctx.source.records()
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        stored = _load({k.customer_id for k in part if k.customer_id is not None}
                       | {cid for k in part for cid in k.candidates})
        for offset, row in enumerate(part):
            number, raw = next(records)
            if row.empty and not row.problems:
                result.empty += 1
                continue
            cells = {} if row.broken else ctx.cells(raw)
            _check_row(ctx, number, row, cells, stored, taken, result, keep_plan)
        report(start + len(part))


def _check_row(ctx: _Context, number: int, row: _Keys, cells: dict[str, str], stored: dict[int, _Stored],
               taken: dict[str, int], result: Analysis, keep_plan: bool) -> None:
    """Decide one row: invalid, unchanged, an update or a new customer."""
    if row.broken:
        _invalid(ctx, number, row, result)
        return
    current = stored.get(row.customer_id) if row.customer_id is not None else None
    # Neither email nor number: a customer with the same name holding exactly these values is this row.
    for cid in row.candidates:
        same = _Keys(membership_id=row.membership_id)
        if not _row_plan(ctx, same, cells, stored[cid], taken)[3] and not same.problems:
            result.unchanged += 1
            return
    values, address, membership, labels = _row_plan(ctx, row, cells, current, taken)
    if row.problems:
        _invalid(ctx, number, row, result)
        return
    if current is not None:
        if not labels:
            result.unchanged += 1
            return
        result.update += 1
        if keep_plan:
            after = {**current.values, **values}
            name = " ".join(p for p in (after["first_name"], after["last_name"]) if p) or after["email"] or ""
            result.changes.append(Change(number, current.id, values, address, membership, labels, name))
        return
    result.create += 1
    if keep_plan:
        result.creates.append(NewCustomer(number, values, address,
                                          (membership["membership_id"], membership.get("expires_on"))
                                          if membership else None))


def _invalid(ctx: _Context, number: int, row: _Keys, result: Analysis) -> None:
    """Count a row as invalid and keep its problems."""
    result.invalid_rows.append(number)
    for key, message in row.problems:
        # The file's header for the column; a field the file lacks (a postcode it needs) by its label.
        result.problems.append(Problem(number, ctx.column.get(key) or FIELDS.get(key, ""), message))


def _row_plan(ctx: _Context, row: _Keys, cells: dict[str, str], current: _Stored | None,
              taken: dict[str, int]) -> tuple[dict, tuple | None, dict, list[str]]:
    """The row's values that differ from `current` (all of them for a new customer), checked.

    Returns (customer values, new address or None, membership changes, changed field labels); problems go
    on `row`.
    """
    old = current.values if current is not None else {}
    values: dict = {}
    labels: list[str] = []

    def changed(key: str, value) -> None:
        """Keep a value that differs from the stored one (every value of a new customer)."""
        if current is None or old.get(key) != value:
            values[key] = value
            labels.append(FIELDS[key])

    for key in ("first_name", "last_name", "company_name"):
        raw = cells.get(key, "")
        if not raw or (current is not None and raw == old[key]):
            continue
        try:
            changed(key, _text(raw, *_TEXT_RULES[key]))
        except _Invalid as exc:
            row.fail(key, str(exc))
    if current is None and not squeeze(cells.get("first_name", "")):
        row.fail("first_name", "Enter the first name")
    if row.email and not (current is not None and (old["email"] or "").lower() == row.email.lower()):
        changed("email", row.email)
    for key in ("phone", "whatsapp"):
        if getattr(row, key):
            changed(key, getattr(row, key))
    raw = cells.get("abn", "")
    if raw and not (current is not None and raw == old["abn"]):
        try:
            changed("abn", business.normalize_abn(raw))
        except business.InvalidABN as exc:
            row.fail("abn", str(exc))
    raw = cells.get("email_marketing", "")
    if raw:
        try:
            consent = parse_bool(raw)
            if current is None or old["email_marketing"] != consent:
                changed("email_marketing", consent)
        except _Invalid as exc:
            row.fail("email_marketing", str(exc))
    membership = _membership_plan(row, cells, current, taken, labels)
    address = _address_plan(ctx, row, cells, current, labels)
    return values, address, membership, labels


def _membership_plan(row: _Keys, cells: dict[str, str], current: _Stored | None, taken: dict[str, int],
                     labels: list[str]) -> dict:
    """Membership ID and expiry changes; an ID held by another customer or malformed is a problem."""
    held = current.membership if current is not None else None
    out: dict = {}
    mid = row.membership_id
    if mid:
        owner = taken.get(mid)
        if owner is not None and (current is None or owner != current.id):
            row.fail("membership_id", "Another customer already has this membership ID")
        elif held is None or held[0] != mid:
            try:
                # Every ID in use is in `taken`, so only the form of a new one is left to check; the
                # memberships service says what is wrong with a malformed one (its query never runs then).
                if owner is None and not memberships._TYPED.match(mid):
                    memberships.normalize_membership_id(mid)
                out["membership_id"] = mid
                labels.append(FIELDS["membership_id"])
            except memberships.InvalidMembershipID as exc:
                row.fail("membership_id", str(exc))
    raw = cells.get("membership_expires_on", "")
    if raw:
        try:
            expires = parse_date(raw)
        except _Invalid as exc:
            row.fail("membership_expires_on", str(exc))
        else:
            if held is None and not mid:
                row.fail("membership_expires_on", "Give a membership ID for this expiry date")
            elif held is None or held[1] != expires:
                out["expires_on"] = expires
                labels.append(FIELDS["membership_expires_on"])
    return out


def _address_plan(ctx: _Context, row: _Keys, cells: dict[str, str], current: _Stored | None,
                  labels: list[str]) -> tuple | None:
    """The row's address when it has one that differs from the stored one (checked as the form checks it)."""
    parts = [cells.get(key, "") for key in ADDRESS_PARTS]
    if not any(parts):
        return None
    held = current.address if current is not None else None
    country_cell = cells.get("country", "")
    default_country = held[4] if held else ctx.region
    if held is not None and tuple(parts) == held[:4] and (country_cell or default_country) == held[4]:
        return None
    try:
        country = parse_country(country_cell) if country_cell else default_country
    except _Invalid as exc:
        row.fail("country", str(exc))
        return None
    street, city, state, postcode = parts
    ok = True
    try:
        street = _text(street, *_TEXT_RULES["street"])
    except _Invalid as exc:
        row.fail("street", str(exc))
        ok = False
    try:
        city = _text(city, *_TEXT_RULES["city"])
        if not city:
            raise _Invalid("Enter the suburb or city")
    except _Invalid as exc:
        row.fail("city", str(exc))
        ok = False
    try:
        state = addresses.normalize_state(country, state)
    except ValueError as exc:
        row.fail("state", str(exc))
        ok = False
    try:
        postcode = addresses.normalize_postcode(country, postcode)
        if not postcode and country in addresses.POSTCODE_DIGITS:  # the countries whose postcodes are known
            raise ValueError("Enter the postcode")
    except ValueError as exc:
        row.fail("postcode", str(exc))
        ok = False
    if not ok:
        return None
    new = (street, city, state, postcode, country)
    if held == new:
        return None
    labels.append("Delivery address")
    return new


# ---- the invalid rows as a file ------------------------------------------------------------------------------


def invalid_rows_csv(source: CsvFile, problems: Iterable[tuple[int, str, str]]) -> Iterator[str]:
    """The invalid rows as in the file plus an "error" column, as CSV text (UTF-8 BOM, the file's delimiter)."""
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


# ---- writing ------------------------------------------------------------------------------------------------


class ImportConflict(RuntimeError):
    """The shop's customers changed between the check and the write in a way the import can't follow."""


# Every row the import inserts fires the segment and location count triggers, and each trigger call keeps a
# statement journal; in memory (PRAGMA temp_store) instead of temporary files that halves the time of a
# 100,000-row write on SQLite. The import's connection gets it for its transaction and back afterwards.
_TEMP_STORE = "crm_import_temp_store"


@event.listens_for(Pool, "checkin")
def _restore_temp_store(dbapi_connection, record) -> None:
    """Give a connection the import used its own temp_store setting back (its transaction is over by now)."""
    previous = record.info.pop(_TEMP_STORE, None)
    if previous is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA temp_store = {int(previous)}")


def begin_write() -> None:
    """Start the import's write transaction: on SQLite take the write lock first (BEGIN IMMEDIATE).

    Everything read before was committed, so ids handed out below can't collide with another writer's.
    """
    db.session.commit()
    connection = db.session.connection()
    record = connection.connection
    dbapi_connection = record.driver_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        # PostgreSQL: the kept segment counts first, in the order every customer write takes them, so an
        # import and a checkout order at the same moment wait for each other instead of deadlocking.
        serial.lock_segment_counts()
        return
    # Nothing has run in this transaction yet, so SQLite hasn't begun one: the pragma can still change.
    if _TEMP_STORE not in record.info:
        record.info[_TEMP_STORE] = dbapi_connection.execute("PRAGMA temp_store").fetchone()[0]
        dbapi_connection.execute("PRAGMA temp_store = MEMORY")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite keeps its FTS5 search tables in step through per-row triggers (migrations 0002 and 0005). Inside
# one big statement batch each trigger call flushes the index anew, which makes 100,000 inserts several
# times slower; like the gazetteer loader, the import fills the index itself, one statement per batch. It
# drops these triggers inside its own transaction and creates them again before committing (SQLite's DDL is
# transactional: a failed import gets them back with the rollback). Only triggers exactly as those migrations
# made them are touched: if one ever changes, the import leaves them all alone and is merely slower.
_FTS_TRIGGERS = {
    "customer_fts_insert": (
        "CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN "
        "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    "customer_fts_update": (
        "CREATE TRIGGER customer_fts_update AFTER UPDATE OF search_text ON customer BEGIN "
        "INSERT INTO customer_fts(customer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    "address_fts_insert": (
        "CREATE TRIGGER address_fts_insert AFTER INSERT ON address BEGIN "
        "INSERT INTO address_fts(rowid, street, city, state, postcode) "
        "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
    "address_fts_update": (
        "CREATE TRIGGER address_fts_update AFTER UPDATE OF street, city, state, postcode ON address BEGIN "
        "INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
        "VALUES ('delete', old.id, old.street, old.city, old.state, old.postcode); "
        "INSERT INTO address_fts(rowid, street, city, state, postcode) "
        "VALUES (new.id, new.street, new.city, new.state, new.postcode); END"),
}


class _SearchIndex:
    """The import's own upkeep of SQLite's search tables while their triggers are set aside (see above)."""

    def __init__(self):
        """Set the triggers aside when they are the known ones (SQLite only); else do nothing at all."""
        self.connection = db.session.connection()
        self.active = False
        if self.connection.dialect.name != "sqlite":
            return
        names = ", ".join(f"'{name}'" for name in _FTS_TRIGGERS)
        found = dict(self.connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})").all())
        if found != _FTS_TRIGGERS:
            return
        for name in _FTS_TRIGGERS:
            self.connection.exec_driver_sql(f"DROP TRIGGER {name}")
        self.active = True

    def _run(self, sql: str, ids: list[int]) -> None:
        """Run one index statement over some ids, while the triggers are set aside."""
        if self.active and ids:
            self.connection.execute(text(sql).bindparams(bindparam("ids", expanding=True)), {"ids": ids})

    def add_customers(self, ids: list[int]) -> None:
        """Index these customers' current search text."""
        self._run("INSERT INTO customer_fts(rowid, search_text) SELECT id, search_text FROM customer "
                  "WHERE id IN :ids", ids)

    def drop_customers(self, ids: list[int]) -> None:
        """Take these customers' current search text out of the index (before it changes)."""
        self._run("INSERT INTO customer_fts(customer_fts, rowid, search_text) "
                  "SELECT 'delete', id, search_text FROM customer WHERE id IN :ids", ids)

    def add_addresses(self, customer_ids: list[int]) -> None:
        """Index these customers' addresses as they are now."""
        self._run("INSERT INTO address_fts(rowid, street, city, state, postcode) "
                  "SELECT id, street, city, state, postcode FROM address WHERE customer_id IN :ids", customer_ids)

    def drop_addresses(self, customer_ids: list[int]) -> None:
        """Take these customers' addresses out of the index (before they change)."""
        self._run("INSERT INTO address_fts(address_fts, rowid, street, city, state, postcode) "
                  "SELECT 'delete', id, street, city, state, postcode FROM address WHERE customer_id IN :ids",
                  customer_ids)

    def restore(self) -> None:
        """Put the triggers back, in the same transaction."""
        if self.active:
            for sql in _FTS_TRIGGERS.values():
                self.connection.exec_driver_sql(sql)
            self.active = False


# PostgreSQL keeps the segment and location counts through per-row triggers (migrations 0003 and 0008) that
# update a few shared rows. Inside one transaction each such update leaves a row version the next one must
# step over, so 100,000 rows take quadratic time (some 20 minutes). A big import on PostgreSQL switches these
# two triggers off inside its transaction (writers to customer and address wait for the import meanwhile;
# readers don't), counts again with the services that own the counts, and switches them back on before it
# commits. A small import keeps them: recounting a whole shop would cost more than it saves.
_PG_COUNT_TRIGGERS = (("customer", "segment_count_track"), ("address", "location_count_address"))
BULK_ROWS = 2_000


class _CountTriggers:
    """PostgreSQL, big imports: the count triggers set aside, and the counts rebuilt at the end (see above)."""

    def __init__(self, rows: int):
        """Switch the triggers off when the import writes at least BULK_ROWS rows on PostgreSQL."""
        self.off: list[tuple[str, str]] = []
        connection = db.session.connection()
        if connection.dialect.name != "postgresql" or rows < BULK_ROWS:
            return
        enabled = set(connection.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'")).all())
        wanted = [pair for pair in _PG_COUNT_TRIGGERS if pair in enabled]
        if not wanted:
            return
        try:
            with db.session.begin_nested():  # without the right to alter the tables, keep the triggers
                connection.exec_driver_sql("LOCK TABLE customer, address IN SHARE ROW EXCLUSIVE MODE")
                for table, name in wanted:
                    connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        except DBAPIError:
            return
        self.off = wanted

    def restore(self) -> None:
        """Count again with the owners' services, then switch the triggers back on (same transaction)."""
        if not self.off:
            return
        names = {name for _table, name in self.off}
        if "segment_count_track" in names:
            stats.recompute_segment_counts()
        if "location_count_address" in names:
            insights.rebuild_location_counts()
        db.session.flush()
        for table, name in self.off:
            db.session.connection().exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        self.off = []


def _reserve_ids(count: int) -> list[int]:
    """Primary keys for `count` new customers, unused by anyone else (the write lock or the sequence)."""
    if not count:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence('customer', 'id')) FROM generate_series(1, :n)"), {"n": count})
        return [int(r[0]) for r in rows]
    first = int(connection.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()) + 1
    return list(range(first, first + count))


class _SearchFields:
    """The fields refresh_search_fields reads and sets, without building an ORM object per row."""

    __slots__ = ("first_name", "last_name", "email", "company_name", "search_text", "name_key")
    full_name = Customer.full_name

    def __init__(self, values: dict):
        """Take the names, email and company from a customer's values."""
        self.first_name = values.get("first_name") or ""
        self.last_name = values.get("last_name") or ""
        self.email = values.get("email")
        self.company_name = values.get("company_name")


CUSTOMER_VALUES = ("first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn")
SEARCH_INPUTS = ("first_name", "last_name", "email", "company_name")


def write(plan: Analysis, user: User | None, *, token: str, filename: str,
          progress: Progress | None = None) -> ImportJob:
    """Write a kept plan in the current transaction (after begin_write): new customers, changes, trail, job.

    Raises ImportConflict when a customer to update was deleted or anonymized since the check; the caller
    rolls back, so nothing is written at all.
    """
    report = progress or (lambda _done, _total: None)
    total = plan.to_import
    now = utcnow()
    actor = audit.actor_name(user)
    job = ImportJob(token=token, user=user, actor=actor, filename=filename[:255], status="done",
                    total_rows=plan.rows, created=plan.create, updated=plan.update, skipped=plan.skip,
                    invalid=plan.invalid, started_at=now)
    db.session.add(job)
    db.session.flush()
    where = f"“{filename}” (import #{job.id})"
    trail: list[dict] = []

    def event(customer_id: int, subject: str, detail: str) -> dict:
        """One trail row for a created or updated customer."""
        return {"occurred_at": now, "user_id": user.id if user is not None else None, "actor": actor,
                "action": "import", "customer_id": customer_id, "subject": subject[:201], "field": None,
                "old_value": None, "new_value": None, "detail": detail}

    # Before anything is inserted: on SQLite a new customer could take a deleted customer's id.
    for part in _chunks([c.customer_id for c in plan.changes]):
        present = db.session.scalar(select(func.count()).select_from(Customer).where(
            Customer.id.in_(part), Customer.anonymized_at.is_(None)))
        if present != len(part):
            raise ImportConflict("a customer this file updates was deleted or anonymized meanwhile.")
    counts = _CountTriggers(total)
    index = _SearchIndex()
    done = 0
    ids = _reserve_ids(len(plan.creates))
    for part_ids, part in zip(_chunks(ids), _chunks(plan.creates)):
        rows, address_rows, membership_rows = [], [], []
        for cid, new in zip(part_ids, part):
            values = {key: new.values.get(key) for key in CUSTOMER_VALUES}
            values["first_name"] = values["first_name"] or ""
            values["last_name"] = values["last_name"] or ""
            search = _SearchFields(values)
            refresh_search_fields(search)
            consent = bool(new.values.get("email_marketing"))
            rows.append({**values, "id": cid, "password_hash": None, "email_marketing": consent,
                         "email_marketing_at": now if consent else None,
                         "email_marketing_method": CONSENT_METHOD if consent else None, "source": "import",
                         "created_at": now, "updated_at": now, "order_count": 0, "total_spent": 0,
                         "first_order_at": None, "last_order_at": None, "segment": "prospect",
                         "search_text": search.search_text, "name_key": search.name_key,
                         "submission_key": None, "anonymized_at": None})
            if new.address:
                address_rows.append(dict(zip(("customer_id", *ADDRESS_PARTS, "country"), (cid, *new.address))))
            if new.membership:
                membership_rows.append({"customer_id": cid, "membership_id": new.membership[0],
                                        "expires_on": new.membership[1]})
            trail.append(event(cid, search.full_name or values["email"] or f"Customer {cid}",
                               f"Created from {where}"))
        db.session.execute(insert(Customer.__table__), rows)
        index.add_customers(part_ids)
        if address_rows:
            db.session.execute(insert(Address.__table__), address_rows)
            index.add_addresses([row["customer_id"] for row in address_rows])
        if membership_rows:
            db.session.execute(insert(Membership.__table__), membership_rows)
        db.session.execute(insert(AuditEvent.__table__), trail)
        trail.clear()
        done += len(part)
        report(done, total)

    for part in _chunks(plan.changes):
        _write_changes(part, now, index)
        db.session.execute(insert(AuditEvent.__table__), [
            event(c.customer_id, c.name or f"Customer {c.customer_id}", f"Updated from {where}: {', '.join(c.labels)}")
            for c in part])
        done += len(part)
        report(done, total)

    index.restore()
    counts.restore()
    invalid = f", {plan.invalid} invalid {'row' if plan.invalid == 1 else 'rows'} left out" if plan.invalid else ""
    audit.record(user, "import", None, detail=(f"{plan.create} created, {plan.update} updated, "
                                               f"{plan.skip} skipped{invalid} from {where}"))
    job.finished_at = utcnow()
    db.session.flush()
    return job


def _write_changes(part: list[Change], now, index: _SearchIndex) -> None:
    """Apply one batch of changes to existing customers: grouped by which columns change, one executemany each."""
    renamed = [c.customer_id for c in part if set(c.values) & set(SEARCH_INPUTS)]
    stored = _load(renamed)
    index.drop_customers(renamed)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for change in part:
        values = dict(change.values)
        if "email_marketing" in values:
            values["email_marketing_at"] = now
            values["email_marketing_method"] = CONSENT_METHOD
        if set(change.values) & set(SEARCH_INPUTS):
            search = _SearchFields({**stored[change.customer_id].values, **change.values})
            refresh_search_fields(search)
            values["search_text"], values["name_key"] = search.search_text, search.name_key
        if values:
            values["updated_at"] = now
            groups[tuple(sorted(values))].append({"cid": change.customer_id,
                                                  **{f"v_{k}": v for k, v in values.items()}})
    table = Customer.__table__
    for columns, rows in groups.items():
        stmt = (update(table).where(table.c.id == bindparam("cid"))
                .values({column: bindparam(f"v_{column}") for column in columns}))
        db.session.execute(stmt, rows)
    index.add_customers(renamed)

    moved = [c for c in part if c.address]
    if moved:
        having = set(db.session.scalars(select(Address.customer_id).where(
            Address.customer_id.in_([c.customer_id for c in moved]))))
        table = Address.__table__
        names = ("street", "city", "state", "postcode", "country")
        updates = [{"cid": c.customer_id, **{f"v_{k}": v for k, v in zip(names, c.address)}}
                   for c in moved if c.customer_id in having]
        inserts = [{"customer_id": c.customer_id, **dict(zip(names, c.address))}
                   for c in moved if c.customer_id not in having]
        index.drop_addresses([row["cid"] for row in updates])
        if updates:
            stmt = (update(table).where(table.c.customer_id == bindparam("cid"))
                    .values({k: bindparam(f"v_{k}") for k in names}))
            db.session.execute(stmt, updates)
        if inserts:
            db.session.execute(insert(table), inserts)
        index.add_addresses([c.customer_id for c in moved])

    joined = [c for c in part if c.membership]
    if joined:
        having = set(db.session.scalars(select(Membership.customer_id).where(
            Membership.customer_id.in_([c.customer_id for c in joined]))))
        table = Membership.__table__
        groups = defaultdict(list)
        inserts = []
        for change in joined:
            if change.customer_id in having:
                groups[tuple(sorted(change.membership))].append(
                    {"cid": change.customer_id, **{f"v_{k}": v for k, v in change.membership.items()}})
            else:
                inserts.append({"customer_id": change.customer_id,
                                "membership_id": change.membership["membership_id"],
                                "expires_on": change.membership.get("expires_on")})
        for columns, rows in groups.items():
            stmt = (update(table).where(table.c.customer_id == bindparam("cid"))
                    .values({k: bindparam(f"v_{k}") for k in columns}))
            db.session.execute(stmt, rows)
        if inserts:
            db.session.execute(insert(table), inserts)


def record_failure(user: User | None, *, token: str, filename: str, rows: int, error: str,
                   started_at: datetime) -> ImportJob:
    """Note a failed import once (in a transaction of its own, after the import's was rolled back).

    An attempt is its upload's token and start time: noting the same attempt again returns the row noted
    before, so an interrupted import found by two processes (or found again after a crash) is one row.
    """
    job = db.session.scalars(select(ImportJob).where(
        ImportJob.token == token, ImportJob.status == "failed", ImportJob.started_at == started_at)).first()
    if job is not None:
        return job
    job = ImportJob(token=token, user=user, actor=audit.actor_name(user), filename=filename[:255],
                    status="failed", total_rows=rows, error=error, started_at=started_at, finished_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def recent_jobs(limit: int = 10) -> list[ImportJob]:
    """The latest imports, newest first."""
    return list(db.session.scalars(select(ImportJob).order_by(ImportJob.started_at.desc(), ImportJob.id.desc())
                                   .limit(limit)))


def done_job(token: str) -> ImportJob | None:
    """The import of an upload that finished (an upload is imported at most once)."""
    return db.session.scalars(select(ImportJob).where(ImportJob.token == token, ImportJob.status == "done")).first()
