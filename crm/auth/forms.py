"""Forms for setup and login."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import NoControlCharacters, squeeze
from ..services.emails import InvalidEmail, normalize_email, reason
from ..services.passwords import account_password_problem


def new_password(_form, field) -> None:
    """The rule for every new dashboard password (crm.services.passwords): setup, account, invitations, resets."""
    problem = account_password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def valid_email(_form, field) -> None:
    try:
        field.data = normalize_email(field.data)
    except InvalidEmail as exc:
        raise ValidationError(_("Enter a valid email address (%(problem)s)", problem=reason(exc))) from exc


class SetupForm(FlaskForm):
    """The first-run form that creates the owner account."""

    shop_name = StringField(_l("Shop name"), filters=[squeeze], validators=[
        DataRequired(_l("Enter your shop's name")),
        Length(max=200, message=_l("Keep the shop name to 200 characters")), NoControlCharacters()])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address")), valid_email])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password")), new_password])


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class SecondStepForm(FlaskForm):
    """The sign-in's second step: a code from the authenticator app or a recovery code."""

    code = StringField(_l("Code"), filters=[lambda v: v.strip() if isinstance(v, str) else v], validators=[
        DataRequired(_l("Enter the code from your app")),
        Length(max=40, message=_l("Enter the 6-digit code or a recovery code"))])


class ForgotPasswordForm(FlaskForm):
    """Where to send a reset link."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address")),
                                                Length(max=254, message=_l("Enter a valid email address"))])


class ResetPasswordForm(FlaskForm):
    """The new password a reset link sets."""

    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password")),
                                                             new_password])
