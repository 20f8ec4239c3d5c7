"""Email addresses: syntax checked by email-validator, no DNS lookups (the shop may be offline)."""

from email_validator import EmailNotValidError, validate_email


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
