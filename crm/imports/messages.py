"""Messages the import keeps: in state files, import_job.error and the dry run's lists they stay English, as
written (a job runs in the worker, and what it writes is read later by anyone, in any language); the pages
translate them when they show them.

N_ marks such a message for `make translations` (pybabel extracts N_ by default) and changes nothing. `shown`
gives a kept message in the page's language: a catalogue message as it is translated, and one with values
in it ("Keep the first name to 100 characters") by the catalogue message it was made from, with its values
read back out of the English and themselves translated where the catalogue has them ("first name").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import get_locale, gettext

CATALOGUE = Path(__file__).resolve().parent.parent / "translations" / "messages.pot"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def N_(message: str) -> str:
    """Mark a kept message for translation without translating it now."""
    return message


def shown(message):
    """A kept message as the page shows it: translated when the catalogue has it or the message it was made
    from, else as it is (plain text, so the template escapes it; nothing that was kept is ever taken as a
    format string or as markup)."""
    if not (isinstance(message, str) and message):
        return message
    translated = gettext(message)
    locale = get_locale()
    if translated != message or locale is None or locale.language == "en":
        return translated
    return _filled(message, locale.language)


@lru_cache(maxsize=4096)
def _filled(message: str, language: str) -> str:
    """`message` in `language` (the page's) through the first catalogue message whose pattern reads it."""
    for pattern, template in _templates():
        if match := pattern.fullmatch(message):
            return gettext(template, **{name: gettext(value) for name, value in match.groupdict().items()})
    return message


@lru_cache(maxsize=1)
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Every catalogue message with values in it as a pattern reading them back, the most words first (so
    "Keep the %(noun)s to %(limit)s characters" is tried before a bare "%(noun)s")."""
    with CATALOGUE.open("rb") as file:
        templates = {m.id for m in read_po(file) if isinstance(m.id, str) and _PLACEHOLDER.search(m.id)}
    ordered = sorted(templates, key=lambda template: (-len(_PLACEHOLDER.sub("", template)), template))
    return tuple((_pattern(template), template) for template in ordered)


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression for the English a template makes: its words as they are, each value as a group."""
    parts, seen, end = [], set(), 0
    for placeholder in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end:placeholder.start()].replace("%%", "%")))
        name = placeholder.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        end = placeholder.end()
    parts.append(re.escape(template[end:].replace("%%", "%")))
    return re.compile("".join(parts), re.DOTALL)
