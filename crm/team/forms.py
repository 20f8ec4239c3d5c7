"""Forms of the Team area: inviting, a member's role, and joining from an invitation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.forms import new_password, valid_email
from ..forms import NoControlCharacters, squeeze
from ..services import permissions

ROLE_CHOICES = [(role, permissions.role_label(role)) for role in permissions.PRESETS]


class RoleField(SelectField):
    """A role among the presets, named as the Team page names them."""

    def __init__(self, label=_l("Role"), **kwargs):
        super().__init__(label, choices=ROLE_CHOICES, **kwargs)

    def pre_validate(self, form) -> None:
        if self.data not in permissions.PRESETS:
            raise ValidationError(_l("Choose one of the roles"))


class InviteForm(FlaskForm):
    """Invite member: an email and the role they start with."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter the email address to invite")), valid_email])
    role = RoleField(default="staff")


class RoleForm(FlaskForm):
    """A member's role (its preset permissions come with it)."""

    role = RoleField()


class JoinForm(FlaskForm):
    """The invitation page: the new member's name and password."""

    name = StringField(_l("Name"), filters=[squeeze], validators=[
        DataRequired(_l("Enter your name")), Length(max=100, message=_l("Keep the name to 100 characters")),
        NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password")), new_password])
