"""Values in URLs, read in one place and kept to what the database and the pages can use.

A page number or an id is whatever someone typed into the address bar: "-1", "1e9", "٣", 400 digits. Each
falls back to a default or is clamped, so no such value reaches the database (the id columns are Integer: 32
bits on PostgreSQL, which refuses a bigger number cast to one) or an OFFSET (a page number times the page
size). Text (a search, a place, a name to filter by)
loses the control characters no stored value holds and no database can take in a query: NUL ends SQLite's
FTS5 query string and PostgreSQL refuses it in any string.
"""

import re
from datetime import date
from decimal import Decimal

from werkzeug.routing import IntegerConverter, ValidationError

from .services.money import AmountError, parse_amount, to_decimal
from .services.text import as_one_line

MAX_ID = 2**31 - 1
MAX_PAGE = 10**6  # far past any shop's last page, and small enough that page x page size fits anywhere
_MAX_DIGITS = len(str(MAX_ID))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Malformed(ValueError):
    """An argument that was given but can't be used; the message says what was expected ("a whole number")."""


def one(args, name: str):
    """An argument's first value: from a werkzeug MultiDict, or a plain dict whose values may be lists."""
    value = args.get(name)
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def every(args, name: str) -> list:
    """Every value of a repeatable argument (`tag=A&tag=B`), from a MultiDict or a dict of lists."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _given(args, name: str) -> str | None:
    """The argument stripped, or None when it is missing or blank (a form's empty field means "any")."""
    value = one(args, name)
    if value is None:
        return None
    value = as_one_line(str(value))
    return value or None


def _digits(raw: object) -> str | None:
    """The value as plain ASCII digits, or None when it is anything else (a sign, a space inside, "1e9")."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    return raw if raw.isascii() and raw.isdigit() else None


def text(args, name: str, max_length: int = 200) -> str:
    """A text argument as searches and filters read it: no control characters, spaces single, cut to length."""
    return as_one_line(str(one(args, name) or ""))[:max_length]


def texts(args, name: str, max_length: int = 200, limit: int = 20) -> list[str]:
    """A repeatable text argument: each value cleaned as `text` does, blanks and repeats left out, at most `limit`."""
    out: list[str] = []
    for value in every(args, name):
        cleaned = as_one_line(str(value or ""))[:max_length]
        if cleaned and cleaned not in out:
            out.append(cleaned)
    return out[:limit]


def whole_number(args, name: str, maximum: int) -> int | None:
    """A count from 0 to `maximum` (orders, days), None when blank, or Malformed for anything else."""
    raw = _given(args, name)
    if raw is None:
        return None
    digits = _digits(raw)
    if digits is None:
        raise Malformed("enter a whole number such as 3")
    if len(digits) > _MAX_DIGITS or int(digits) > maximum:
        raise Malformed(f"enter a number up to {maximum:,}")
    return int(digits)


def iso_date(args, name: str, years: range = range(1900, 3000)) -> date | None:
    """A calendar date written YYYY-MM-DD (as date inputs send it) in `years`, None when blank, or Malformed.

    The years keep a day and its neighbours inside what every time zone and database can hold."""
    raw = _given(args, name)
    if raw is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise Malformed("enter a date such as 2026-03-31") from None
    if day.year not in years:
        raise Malformed(f"enter a date between {years.start} and {years.stop - 1}")
    return day


def amount(args, name: str, currency: str) -> Decimal | None:
    """An amount of money in the shop currency ("129.90", "1,299"), None when blank, or Malformed."""
    raw = _given(args, name)
    if raw is None:
        return None
    try:
        return to_decimal(parse_amount(raw, currency), currency)
    except AmountError as error:
        message = str(error)
        raise Malformed(message[0].lower() + message[1:]) from None


def choice(args, name: str, choices) -> str | None:
    """One of `choices`, None when blank, or Malformed for any other value."""
    raw = _given(args, name)
    if raw is None:
        return None
    if raw not in choices:
        raise Malformed("choose " + ", ".join(choices))
    return raw


def page_number(args, name: str = "page", maximum: int = MAX_PAGE) -> int:
    """A page number from 1 to `maximum`: malformed means 1, too big means `maximum` (then "no page N")."""
    digits = _digits(one(args, name))
    if digits is None:
        return 1
    if len(digits) > _MAX_DIGITS:
        return maximum
    return max(1, min(int(digits), maximum))


def optional_id(args, name: str) -> int | None:
    """A row id given in the query string, or None when it is missing, malformed or beyond any id."""
    digits = _digits(one(args, name))
    if digits is None or len(digits) > _MAX_DIGITS or int(digits) > MAX_ID:
        return None
    return int(digits)


def ids(args, name: str) -> list[int]:
    """Every well-formed row id given under `name` (a form's ticked boxes), in order, each once; the others
    are left out."""
    found = (optional_id({name: value}, name) for value in args.getlist(name))
    return list(dict.fromkeys(value for value in found if value is not None))


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits up to the largest id, else 404 instead of a database error."""

    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        """The id, or a routing ValidationError (a 404) for one too long to be any row's."""
        if len(value) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)
