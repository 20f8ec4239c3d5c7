"""Forms of the account page."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.forms import new_password, valid_email
from ..forms import NoControlCharacters, squeeze


class ProfileForm(FlaskForm):
    """Name and email; changing the email asks for the password."""

    name = StringField("Name", filters=[squeeze], validators=[
        Optional(), Length(max=100, message="Keep the name to 100 characters"), NoControlCharacters()])
    email = EmailField("Email", validators=[DataRequired("Enter your email address"), valid_email])
    password = PasswordField("Your password", validators=[Optional()])


class PasswordForm(FlaskForm):
    """The current password and the new one."""

    current = PasswordField("Current password", validators=[DataRequired("Enter your current password")])
    new = PasswordField("New password", validators=[DataRequired("Choose a new password"), new_password])


class TurnOnForm(FlaskForm):
    """The first code from the authenticator app, which turns two-step verification on."""

    code = StringField("Code from your app", filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[DataRequired("Enter the 6-digit code your app shows"),
                                   Length(max=20, message="Enter the 6-digit code your app shows")])


class TurnOffForm(FlaskForm):
    """The password, asked again before two-step verification goes off."""

    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
