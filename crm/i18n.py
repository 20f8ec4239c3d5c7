"""The dashboard's language and theme: one place that says which language a page speaks and which colours it
wears.

A signed-in person's "Language" on their account page wins; everyone else (and every public page: sign-in,
follow, join) gets the shop's default from Settings; commands and jobs speak English. Gettext catalogues live in crm/translations/ (messages.pot
extracted by `make translations`; ms/LC_MESSAGES/messages.po translated, compiled to .mo by make). Dates,
numbers and money follow the language too (crm/services/shop.locale_for).
"""

from flask import Flask, has_request_context
from flask_babel import Babel
from flask_login import current_user

from .services.shop import get_settings

# The languages offered, each named in itself (a person who can't read the current one still finds theirs).
LANGUAGES = (("en", "English"), ("ms", "Bahasa Melayu"))
LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)
# "Theme": the system's choice (prefers-color-scheme), or always light, or always dark.
THEMES = ("system", "light", "dark")


def N_(message: str) -> str:
    """Mark a string for the catalogues without translating it here: it is translated where it is shown."""
    return message


def language_name(code: str) -> str:
    """A language's name in itself: "Bahasa Melayu"."""
    return dict(LANGUAGES).get(code, "English")


def _signed_in():
    return current_user if has_request_context() and current_user and current_user.is_authenticated else None


def select_language() -> str:
    """The language of this request. Outside one (a command, a job on the worker) English: what they print
    or store is read by the server's admin or kept as data, never shown as a page."""
    if not has_request_context():
        return "en"
    user = _signed_in()
    if user is not None and user.language in LANGUAGE_CODES:
        return user.language
    language = get_settings().language
    return language if language in LANGUAGE_CODES else "en"


def page_theme() -> str:
    """The theme the page is drawn in: "system" follows the browser's colour scheme."""
    user = _signed_in()
    return user.theme if user is not None and user.theme in THEMES else "system"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language)
    # {% trans %} blocks join their lines into one sentence, as babel.cfg's `trimmed` extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
