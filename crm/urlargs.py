"""Values in URLs, read in one place and kept to what the database and the pages can use.

A page number or an id is whatever someone typed into the address bar: "-1", "1e9", "٣", 400 digits. Each
falls back to a default or is clamped, so no such value reaches the database (the id columns are Integer: 32
bits on PostgreSQL, which refuses a bigger number cast to one) or an OFFSET (a page number times the page
size). Text (a search, a place, a name to filter by)
loses the control characters no stored value holds and no database can take in a query: NUL ends SQLite's
FTS5 query string and PostgreSQL refuses it in any string.
"""

from werkzeug.routing import IntegerConverter, ValidationError

from .services.text import as_one_line

MAX_ID = 2**31 - 1
MAX_PAGE = 10**6  # far past any shop's last page, and small enough that page x page size fits anywhere
_MAX_DIGITS = len(str(MAX_ID))


def _digits(raw: object) -> str | None:
    """The value as plain ASCII digits, or None when it is anything else (a sign, a space inside, "1e9")."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    return raw if raw.isascii() and raw.isdigit() else None


def text(args, name: str, max_length: int = 200) -> str:
    """A text argument as searches and filters read it: no control characters, spaces single, cut to length."""
    return as_one_line(str(args.get(name) or ""))[:max_length]


def page_number(args, name: str = "page", maximum: int = MAX_PAGE) -> int:
    """A page number from 1 to `maximum`: malformed means 1, too big means `maximum` (then "no page N")."""
    digits = _digits(args.get(name))
    if digits is None:
        return 1
    if len(digits) > _MAX_DIGITS:
        return maximum
    return max(1, min(int(digits), maximum))


def optional_id(args, name: str) -> int | None:
    """A row id given in the query string, or None when it is missing, malformed or beyond any id."""
    digits = _digits(args.get(name))
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
