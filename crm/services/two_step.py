"""Two-step verification: a TOTP authenticator app (RFC 6238, pyotp) and single-use recovery codes.

Setting up stores a new secret on the account without turning anything on; the first right code from the app
turns it on and hands out the recovery codes, shown that once and kept only as hashes. Each time step's code
is taken once: the last step accepted is stored, so a code seen over someone's shoulder can't be used again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..extensions import db
from ..models import RecoveryCode, User, utcnow

RECOVERY_CODES = 10
# Each code is 16 characters of base32 (80 random bits), shown in groups of four: "7kq2-mx4a-...".
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16
# Codes from one step either side are accepted too, for a phone clock a little off.
DRIFT_STEPS = 1


class WrongCode(Exception):
    """The code is not the app's current one (or was used already)."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_recovery_code(typed: str) -> str:
    """A recovery code as stored: lower case, without the spaces and dashes people type or paste."""
    return "".join(c for c in typed.lower() if c not in " -\t")


def begin_setup(user: User) -> str:
    """Give the account a new secret for the app to learn (two-step stays off until a code proves it)."""
    if user.two_step_on:
        raise ValueError("two-step verification is on already")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// address the QR code holds: the app lists the account as "<issuer> (<email>)"."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer or "crm")


def qr_svg(uri: str) -> str:
    """The QR code of the address as inline SVG, drawn on the server (no script, no image request)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title=_("QR code for your authenticator app"))


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    """Whether the code is the app's for a step around now that is newer than the last one taken; takes it."""
    code = code.strip().replace(" ", "")
    if not user.totp_secret or len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # replayed: this step (or a later one) was used already
            user.totp_last_step = step
            return True
    return False


def turn_on(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-step on with the first code from the app; returns the new recovery codes (shown once)."""
    if user.two_step_on or not _accept_totp(user, code, now or utcnow()):
        raise WrongCode
    user.two_step_since = now or utcnow()
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with a new set of ten; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _unused in range(RECOVERY_LENGTH))
             for _unused in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return ["-".join(code[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def _use_recovery_code(user: User, typed: str, now: datetime) -> bool:
    """Whether the text is one of the account's unused recovery codes; marks it used."""
    code = normalize_recovery_code(typed)
    if len(code) != RECOVERY_LENGTH:
        return False
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = now
    return True


def verify(user: User, typed: str, now: datetime | None = None) -> str:
    """Check the second step of a sign-in: "app" or "recovery code" for what was accepted, else WrongCode."""
    now = now or utcnow()
    if not user.two_step_on:
        raise WrongCode
    if _accept_totp(user, typed, now):
        return "app"
    if _use_recovery_code(user, typed, now):
        return "recovery code"
    raise WrongCode


def recovery_codes_left(user: User) -> int:
    """How many recovery codes the account has not used."""
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def turn_off(user: User) -> None:
    """Turn two-step off: the secret and every recovery code are forgotten."""
    user.totp_secret = None
    user.two_step_since = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
