"""Forms of the account page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.forms import new_password, valid_email
from ..forms import NoControlCharacters, squeeze
from ..i18n import LANGUAGES


class ProfileForm(FlaskForm):
    """Name and email; changing the email asks for the password."""

    name = StringField(_l("Name"), filters=[squeeze], validators=[
        Optional(), Length(max=100, message=_l("Keep the name to 100 characters")), NoControlCharacters()])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address")), valid_email])
    password = PasswordField(_l("Your password"), validators=[Optional()])


class PasswordForm(FlaskForm):
    """The current password and the new one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password"))])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password")), new_password])


class TurnOnForm(FlaskForm):
    """The first code from the authenticator app, which turns two-step verification on."""

    code = StringField(_l("Code from your app"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[DataRequired(_l("Enter the 6-digit code your app shows")),
                                   Length(max=20, message=_l("Enter the 6-digit code your app shows"))])


class TurnOffForm(FlaskForm):
    """The password, asked again before two-step verification goes off."""

    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class DisplayForm(FlaskForm):
    """The dashboard's language and theme for this person."""

    language = SelectField(_l("Language"), choices=LANGUAGES)
    theme = SelectField(_l("Theme"), choices=[("system", _l("System")), ("light", _l("Light")),
                                              ("dark", _l("Dark"))])
