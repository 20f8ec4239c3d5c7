"""Form pieces every area shares: how typed text is tidied and checked, and how amounts of money are read."""

from babel.numbers import get_currency_precision
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from .services import money, text

# The services' messages (text.CONTROL_CHARACTERS_MESSAGE, money's), as a form shows them: translated. The
# services keep their English for the order API and the imports' reports.
CONTROL_CHARACTERS = _l("Remove the invisible control characters")


def strip(value):
    """Trim a typed value (non-strings, such as a missing field's None, pass through)."""
    return value.strip() if isinstance(value, str) else value


def squeeze(value):
    """Trim and collapse inner runs of spaces (names pasted from elsewhere)."""
    return text.squeeze(value) if isinstance(value, str) else value


class NoControlCharacters:
    """Refuse control characters and bidirectional overrides (crm.services.text); notes keep line breaks."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and text.has_control_characters(field.data, multiline=self.multiline):
            raise ValidationError(CONTROL_CHARACTERS)


class AmountField(StringField):
    """An amount of money typed in the shop currency; `minor` holds it in minor units once validated.

    The currency comes from `currency_of(form)`, so a form can read it from the shop or from another field.
    """

    def __init__(self, label=None, validators=None, *, currency_of, messages: dict[str, str] | None = None,
                 **kwargs):
        super().__init__(label, validators, filters=[strip], **kwargs)
        self.currency_of = currency_of
        self.messages = messages or {}  # replaces money's message for a kind of problem ("negative": ...)
        self.minor: int | None = None

    def process_formdata(self, valuelist) -> None:
        """What was posted; without the field, the amount the form was filled with when it is text (as the
        owner would type it), else nothing: stored minor units are no typed amount."""
        if valuelist:
            self.data = valuelist[0]
        elif not isinstance(self.data, str):
            self.data = ""

    def pre_validate(self, form) -> None:
        """Read the amount (a blank field is left to DataRequired)."""
        self.minor = None
        if not self.data:
            return
        try:
            self.minor = money.parse_amount(self.data, self.currency_of(form))
        except money.AmountError as exc:
            raise ValidationError(self.messages.get(exc.kind) or amount_message(exc, self.currency_of(form))) from exc


def amount_message(problem: money.AmountError, currency: str) -> str:
    """What is wrong with a typed amount, in the page's language (money.parse_amount says it in English)."""
    if problem.kind == "format":
        return _("Enter an amount such as 129.90")
    if problem.kind == "negative":
        return _("Enter an amount of zero or more")
    if problem.kind == "too_large":
        return _("Enter an amount up to %(largest)s", largest=format(money.largest_amount(currency), ","))
    if problem.kind == "places":
        return _("Use at most %(places)s decimal places", places=get_currency_precision(currency))
    return str(problem)
