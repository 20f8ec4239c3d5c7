"""Forms for setup and login."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import NoControlCharacters, squeeze
from ..services.accounts import MIN_PASSWORD
from ..services.emails import InvalidEmail, normalize_email


def valid_email(_form, field) -> None:
    try:
        field.data = normalize_email(field.data)
    except InvalidEmail as exc:
        raise ValidationError(f"Enter a valid email address ({exc})") from exc


class SetupForm(FlaskForm):
    """The first-run form that creates the owner account."""

    shop_name = StringField("Shop name", filters=[squeeze], validators=[
        DataRequired("Enter your shop's name"), Length(max=200, message="Keep the shop name to 200 characters"),
        NoControlCharacters()])
    email = EmailField("Email", validators=[DataRequired("Enter your email address"), valid_email])
    password = PasswordField("Password", validators=[
        DataRequired("Choose a password"),
        Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters"),
    ])


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
