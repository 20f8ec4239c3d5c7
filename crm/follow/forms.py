"""Forms for following the store: the email, then the code that was sent to it."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, ValidationError

from ..services.emails import InvalidEmail, normalize_email, reason
from ..services.follow import CODE_DIGITS


def _valid_email(_form, field) -> None:
    """Normalize the address, or say what is wrong with it."""
    try:
        field.data = normalize_email(field.data)
    except InvalidEmail as exc:
        raise ValidationError(_("Enter a valid email address (%(problem)s)", problem=reason(exc))) from exc


def _six_digits(_form, field) -> None:
    """A code is exactly CODE_DIGITS digits."""
    if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", field.data or ""):
        raise ValidationError(_("The code has %(num)s digits: type it as it is in the email", num=CODE_DIGITS))


def _without_spaces(value: str | None) -> str | None:
    """Phones and mail apps copy codes as "123 456" or with a stray space; those spaces don't matter."""
    return re.sub(r"\s+", "", value) if value else value


class EmailForm(FlaskForm):
    """The visitor's email address, where the code goes."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address")), _valid_email])


class CodeForm(FlaskForm):
    """The code from the email."""

    code = StringField(_l("Verification code"), validators=[DataRequired(_l("Enter the code from the email")),
                                                            _six_digits], filters=[_without_spaces])
