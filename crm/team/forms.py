"""Forms of the Team area: inviting, a member's role, and joining from an invitation."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.forms import valid_email
from ..forms import NoControlCharacters, squeeze
from ..services import passwords, permissions

ROLE_CHOICES = [(role, permissions.role_label(role)) for role in permissions.PRESETS]


class RoleField(SelectField):
    """A role among the presets, named as the Team page names them."""

    def __init__(self, label="Role", **kwargs):
        super().__init__(label, choices=ROLE_CHOICES, **kwargs)

    def pre_validate(self, form) -> None:
        if self.data not in permissions.PRESETS:
            raise ValidationError("Choose one of the roles")


class InviteForm(FlaskForm):
    """Invite member: an email and the role they start with."""

    email = EmailField("Email", validators=[DataRequired("Enter the email address to invite"), valid_email])
    role = RoleField(default="staff")


class RoleForm(FlaskForm):
    """A member's role (its preset permissions come with it)."""

    role = RoleField()


def _account_password(_form, field) -> None:
    problem = passwords.account_password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class JoinForm(FlaskForm):
    """The invitation page: the new member's name and password."""

    name = StringField("Name", filters=[squeeze], validators=[
        DataRequired("Enter your name"), Length(max=100, message="Keep the name to 100 characters"),
        NoControlCharacters()])
    password = PasswordField("Password", validators=[DataRequired("Choose a password"), _account_password])
