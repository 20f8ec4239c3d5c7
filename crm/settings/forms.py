"""The settings form."""

from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from ..customers import checks
from ..forms import AmountField, NoControlCharacters, squeeze
from ..services import tokens


@lru_cache(maxsize=1)
def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 currencies by name, the common ones for the shops we serve first."""
    names = Locale.parse("en").currencies
    first = ["AUD", "MYR", "NZD", "SGD", "USD", "GBP", "EUR"]
    rest = sorted((c for c in names if len(c) == 3 and c.isalpha() and c.isupper() and c not in first),
                  key=lambda c: names[c])
    return [(c, f"{c} – {names[c]}") for c in first + rest]


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries by English name."""
    return sorted(checks.country_names().items(), key=lambda item: item[1])


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    """IANA time zones."""
    return [(z, z.replace("_", " ")) for z in sorted(available_timezones()) if "/" in z and not z.startswith("Etc/")]


LAPSED_DAYS = (1, 3650)
LAPSED_MESSAGE = f"Enter a whole number of days from {LAPSED_DAYS[0]} to {LAPSED_DAYS[1]}"


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

    shop_name = StringField("Shop name", filters=[squeeze], validators=[
        DataRequired("Enter your shop's name"), Length(max=200, message="Keep the shop name to 200 characters"),
        NoControlCharacters()])
    currency = SelectField("Currency", choices=currency_choices)
    country = SelectField("Country", choices=country_choices)
    timezone = SelectField("Time zone", choices=timezone_choices)
    vip_threshold = AmountField("VIP threshold", validators=[
        DataRequired("Enter the lifetime spend that makes a VIP")],
        currency_of=lambda form: form.currency.data or "AUD", messages={"negative": "Enter an amount above zero"})
    lapsed_days = DaysField("Lapsed after (days)", validators=[NumberRange(*LAPSED_DAYS, message=LAPSED_MESSAGE)])
    b2b_enabled = BooleanField("Business to Business")
    membership_enabled = BooleanField("Membership")
    membership_prefix = StringField("Membership ID prefix", validators=[
        Length(max=6, message="Use at most 6 characters"),
        Regexp(r"^[A-Za-z]*$", message="Use letters only"),
    ], filters=[lambda v: v.strip().upper() if v else ""])

    def validate_vip_threshold(self, field) -> None:
        """Above zero (the amount itself was read by AmountField)."""
        if field.minor == 0:
            raise ValidationError("Enter an amount above zero")


class TokenForm(FlaskForm):
    """A new API token for the checkout: just its name."""

    name = StringField("Token name", validators=[DataRequired("Enter a name for the token")], filters=[squeeze])

    def validate_name(self, field) -> None:
        """At most 100 characters, and no other active token of the same name."""
        problem = tokens.name_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
