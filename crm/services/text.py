"""What free text people type may contain: one rule for names, notes, the shop's name, token names and the API.

Control characters (NUL, ESC, BEL ...) and the bidirectional overrides and isolates (which make "Ali" read
as "ilA" without changing what is stored) have no place in anything a shop types: databases refuse NUL,
terminals act on ESC and BEL, and an email subject carries whatever the shop's name holds. Lone surrogates
can't be stored as UTF-8 at all. Right-to-left scripts, accents, emoji (with their zero-width joiners) and
the left-to-right and right-to-left marks are ordinary text and stay as typed.
"""

import unicodedata

from flask_babel import lazy_gettext as _l

# Translatable (lazy_gettext): str() it where a plain string is needed.
CONTROL_CHARACTERS_MESSAGE = _l("Remove the invisible control characters")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Multi-line text (notes) keeps its line breaks and tabs.
LINE_BREAKS = frozenset("\n\r\t")


def has_control_characters(value: str | None, *, multiline: bool = False) -> bool:
    """Whether the text holds a character the rule refuses (line breaks and tabs are fine in multi-line text)."""
    if not value or (value.isascii() and value.isprintable()):
        return False  # printable ASCII (most text people type or import) holds none: no need to look closer
    allowed = LINE_BREAKS if multiline else frozenset()
    return any(_refused(c) and c not in allowed for c in value)


def _refused(c: str) -> bool:
    """A control character, a lone surrogate, or a bidirectional override or isolate."""
    return c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs")


def squeeze(value: str | None) -> str:
    """One line as it is kept: trimmed, with every run of whitespace made one space."""
    return " ".join(value.split()) if value else ""


def as_one_line(value: str | None) -> str:
    """Text that is read rather than kept (a search, a mail header): refused characters become spaces, then
    the text is squeezed."""
    return squeeze("".join(" " if _refused(c) else c for c in value)) if value else ""
