"""Messages the import keeps: in state files, import_job.error and the dry run's lists they stay English, as
written (a job runs in the worker, and what it writes is read later by anyone, in any language); the pages
translate them when they show them.

N_ marks such a message for `make translations` (pybabel extracts N_ by default) and changes nothing; `shown`
gives a kept message in the page's language when it is one of the marked messages (or any other msgid, such
as a field's label), else as it was kept (a message with values in it).
"""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a kept message for translation without translating it now."""
    return message


def shown(message):
    """A kept message as the page shows it: translated when the catalogue has it, else as it is (plain text,
    so the template escapes it; nothing that was kept is ever taken as a format string or as markup)."""
    if isinstance(message, str) and message:
        return gettext(message)
    return message
