"""The settings form."""

from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from ..customers import checks
from ..forms import AmountField, NoControlCharacters, squeeze
from ..i18n import LANGUAGES
from ..services import tokens


def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 currencies, the common ones for the shops we serve first, then the rest by name, in the page's
    language."""
    return _currency_choices(_page_language())


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries by name in the page's language (the codes are what is stored)."""
    return _country_choices(_page_language())


def _page_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


@lru_cache(maxsize=4)
def _currency_choices(language: str) -> list[tuple[str, str]]:
    # CLDR names fewer currencies in some languages than in English: the rest keep their English name.
    names = {**Locale.parse("en").currencies, **Locale.parse(language).currencies}
    first = ["AUD", "MYR", "NZD", "SGD", "USD", "GBP", "EUR"]
    rest = sorted((c for c in names if len(c) == 3 and c.isalpha() and c.isupper() and c not in first),
                  key=lambda c: names[c].casefold())
    return [(c, f"{c} – {names[c]}") for c in first + rest]


@lru_cache(maxsize=4)
def _country_choices(language: str) -> list[tuple[str, str]]:
    names = Locale.parse(language).territories
    return sorted(((code, names.get(code, english)) for code, english in checks.country_names().items()),
                  key=lambda item: item[1].casefold())


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    """IANA time zones."""
    return [(z, z.replace("_", " ")) for z in sorted(available_timezones()) if "/" in z and not z.startswith("Etc/")]


LAPSED_DAYS = (1, 3650)
LAPSED_MESSAGE = _l("Enter a whole number of days from %(low)s to %(high)s", low=LAPSED_DAYS[0], high=LAPSED_DAYS[1])


class DaysField(IntegerField):
    """A whole number of days typed in plain digits; anything else (blank, "1e3", "-5", "٣") reads as none, so
    the range check gives its one clear message."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        typed = valuelist[0].strip()
        self.data = int(typed) if typed.isascii() and typed.isdigit() and len(typed) <= 9 else None


class SettingsForm(FlaskForm):
    """Shop name, money, region, VIP threshold and the optional parts of the customer form."""

    shop_name = StringField(_l("Shop name"), filters=[squeeze], validators=[
        DataRequired(_l("Enter your shop's name")),
        Length(max=200, message=_l("Keep the shop name to 200 characters")), NoControlCharacters()])
    currency = SelectField(_l("Currency"), choices=currency_choices)
    country = SelectField(_l("Country"), choices=country_choices)
    timezone = SelectField(_l("Time zone"), choices=timezone_choices)
    language = SelectField(_l("Language"), choices=LANGUAGES)
    vip_threshold = AmountField(_l("VIP threshold"), validators=[
        DataRequired(_l("Enter the lifetime spend that makes a VIP"))],
        currency_of=lambda form: form.currency.data or "AUD", messages={"negative": _l("Enter an amount above zero")})
    lapsed_days = DaysField(_l("Lapsed after (days)"), validators=[NumberRange(*LAPSED_DAYS, message=LAPSED_MESSAGE)])
    b2b_enabled = BooleanField(_l("Business to Business"))
    membership_enabled = BooleanField(_l("Membership"))
    membership_prefix = StringField(_l("Membership ID prefix"), validators=[
        Length(max=6, message=_l("Use at most 6 characters")),
        Regexp(r"^[A-Za-z]*$", message=_l("Use letters only")),
    ], filters=[lambda v: v.strip().upper() if v else ""])

    def validate_vip_threshold(self, field) -> None:
        """Above zero (the amount itself was read by AmountField)."""
        if field.minor == 0:
            raise ValidationError(_l("Enter an amount above zero"))


class TokenForm(FlaskForm):
    """A new API token for the checkout: just its name."""

    name = StringField(_l("Token name"), validators=[DataRequired(_l("Enter a name for the token"))], filters=[squeeze])

    def validate_name(self, field) -> None:
        """At most 100 characters, and no other active token of the same name."""
        problem = tokens.name_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
