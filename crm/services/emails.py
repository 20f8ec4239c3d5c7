"""Email addresses: syntax checked by email-validator, no DNS lookups (the shop may be offline)."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from ..i18n import N_

# The reasons email-validator gives that people meet most, marked for the catalogues so that a page shows them
# in its language (reason); a rarer one is shown as the library words it.
REASONS = frozenset((
    N_("An email address must have an @-sign."), N_("There must be something before the @-sign."),
    N_("There must be something after the @-sign."), N_("An email address cannot have two periods in a row."),
    N_("An email address cannot start with a period."), N_("An email address cannot end with a period."),
    N_("An email address cannot have a period immediately before the @-sign."),
    N_("An email address cannot have a period immediately after the @-sign."),
    N_("An email address cannot have a hyphen immediately after the @-sign."),
    N_("An email address cannot end with a hyphen."),
    N_("An email address cannot have a period and a hyphen next to each other."),
    N_("The part after the @-sign is not valid. It should have a period."),
    N_("The part after the @-sign is not valid. It is not within a valid top-level domain."),
    N_("The part after the @-sign is a special-use or reserved name that cannot be used with email.")))
# Reasons that end with the characters refused ("…: SPACE, ','."), by how they start.
CHARACTER_REASONS = {
    "The email address contains invalid characters before the @-sign: ":
        N_("The email address contains invalid characters before the @-sign: %(characters)s."),
    "The part after the @-sign contains invalid characters: ":
        N_("The part after the @-sign contains invalid characters: %(characters)s.")}


class InvalidEmail(ValueError):
    """Not a usable email address."""


def normalize_email(raw: str) -> str:
    """Check an address and return its normalized form, or raise InvalidEmail with the reason.

    Addresses at the reserved .test domain are accepted so a shop can rehearse with made-up customers.
    """
    try:
        return validate_email((raw or "").strip(), check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc


def reason(refusal: InvalidEmail) -> LazyString | str:
    """Why an address was refused, in the reader's language when the catalogues know the reason (str() of the
    lazy string in a request; English as the library wrote it everywhere else)."""
    english = str(refusal)
    if english in REASONS:
        return lazy_gettext(english)
    for start, message in CHARACTER_REASONS.items():
        if english.startswith(start) and english.endswith("."):
            return lazy_gettext(message, characters=english[len(start):-1])
    return english
