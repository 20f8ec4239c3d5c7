"""The forms of Settings › Tags: a tag's name and colour, the tag to merge into, and the delete confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError

from ..customers.checks import Invalid
from ..models import TAG_NAME_LENGTH, Tag
from ..services import tags


def _tag_name(form, field) -> None:
    """The tag service's name rule, with its message."""
    try:
        field.data = tags.clean_name(field.data)
    except Invalid as exc:
        raise ValidationError(exc.shown) from None


class TagForm(FlaskForm):
    """A tag's name and colour."""

    name = StringField(_l("Name"), validators=[_tag_name],
                       render_kw={"maxlength": TAG_NAME_LENGTH, "autocomplete": "off"})
    colour = SelectField(_l("Colour"), choices=[("", _l("No colour")), *tags.PALETTE.items()], validate_choice=True)


class MergeForm(FlaskForm):
    """The tag whose customers get this one's place."""

    into = SelectField(_l("Merge into"), coerce=int, validate_choice=True)

    def offer(self, tag: Tag) -> "MergeForm":
        """Offer every other tag of the shop."""
        self.into.choices = [(other.id, other.name) for other in tags.listing() if other.id != tag.id]
        return self


class DeleteForm(FlaskForm):
    """Only the CSRF token: the button confirms."""
