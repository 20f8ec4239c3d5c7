"""Forms of the Import customers area (the column mapping is plain select fields, one per file column)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    """The CSV file to import."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to upload"))])


class ConfirmForm(FlaskForm):
    """Confirming the import (its CSRF token; the mapping travels in map_<column> fields beside it)."""


class UndoForm(FlaskForm):
    """Undoing a finished import (its CSRF token)."""
