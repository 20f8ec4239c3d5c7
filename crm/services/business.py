"""Business customers: the Australian Business Number, checked with python-stdnum."""

from flask_babel import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.au import abn


class InvalidABN(ValueError):
    """Not a valid ABN."""


def normalize_abn(raw: str) -> str:
    """The 11 digits of a typed ABN ("51 824 753 556"), or InvalidABN saying what is wrong."""
    if not (raw or "").strip():
        raise InvalidABN(_("An ABN has 11 digits"))
    try:
        return abn.validate(raw)
    except stdnum_errors.InvalidLength as exc:
        raise InvalidABN(_("An ABN has 11 digits")) from exc
    except stdnum_errors.InvalidFormat as exc:
        raise InvalidABN(_("An ABN has only digits and spaces")) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidABN(_("This ABN's check digits don't match: check for a typo")) from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidABN(_("This is not a valid ABN")) from exc


def format_abn(digits: str | None) -> str:
    """An ABN as written on invoices: "51 824 753 556"."""
    return abn.format(digits) if digits else ""
