"""Following the store: one-time codes by email, and the consent a verified code proves.

Only a keyed hash of each code is stored. A code works once, for CODE_LIFETIME, and dies after
MAX_ATTEMPTS wrong tries; an address gets at most MAX_CODES_PER_HOUR codes. Asking for a code never
looks at the customers, so the answer (and the work done) is the same whether or not the address is
already a customer.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..customers import writer
from ..customers.writer import Actor, Consent
from ..extensions import db
from ..models import Customer, FollowCode, utcnow
from . import mail, serial
from .profiles import find_by_email

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3
CONSENT_METHOD = "follow"
ACTOR = "Follow page"
CODES_KEPT_FOR = timedelta(days=90)  # long after the hourly limit needs them; then they are only clutter


class TooManyCodes(Exception):
    """This address has had MAX_CODES_PER_HOUR codes in the last hour."""


class CodeState(enum.Enum):
    """What checking a typed code found."""

    ACCEPTED = "accepted"
    WRONG = "wrong"  # tries left
    DEAD = "dead"  # MAX_ATTEMPTS wrong tries: this code no longer works
    EXPIRED = "expired"
    USED = "used"
    MISSING = "missing"  # no such code for this address (e.g. cleaned away)


@dataclass
class CheckResult:
    """The outcome of a typed code, with the tries left when it was wrong."""

    state: CodeState
    tries_left: int = 0
    code: FollowCode | None = None


@dataclass
class FollowResult:
    """Who follows now: the customer, whether they are new, and whether consent was newly recorded."""

    customer: Customer
    created: bool
    consent_recorded: bool


def new_code() -> str:
    """Six random digits from the secrets module (leading zeros kept)."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(secret_key: str, email: str, code: str) -> str:
    """HMAC-SHA256 of address and code under the app's secret key, as 64 hex digits.

    Keyed, so a copy of the database alone can't try the million possible codes; the address is in the
    message so a code is only good for the address it was sent to.
    """
    message = f"{email.lower()}\n{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def codes_sent_since(email: str, since: datetime) -> int:
    """How many codes this address has been sent since the given time."""
    return db.session.scalar(select(func.count(FollowCode.id)).where(
        FollowCode.email == email.lower(), FollowCode.created_at > since)) or 0


def prune_codes(now: datetime | None = None) -> int:
    """Delete the follow codes sent more than 90 days ago (used or not); return how many (the caller commits)."""
    result = db.session.execute(delete(FollowCode).where(FollowCode.created_at < (now or utcnow()) - CODES_KEPT_FOR))
    return result.rowcount


def email_text(shop_name: str, code: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the code email, in the follow page's language."""
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    subject = _("Your code for %(shop)s", shop=shop_name)
    line = _("Your code for %(shop)s is %(code)s. It expires in %(minutes)s minutes.", shop=shop_name, code=code,
             minutes=minutes)
    ignore = _("If you didn't ask to follow %(shop)s, ignore this email: nothing happens without the code.",
               shop=shop_name)
    confirm = _("Type it on the follow page to confirm this address.")
    text = f"{line}\n\n{confirm}\n{ignore}\n"
    html = ("<p>" + _("Your code for %(shop)s is <strong>%(code)s</strong>. It expires in %(minutes)s minutes.",
                      shop=escape(shop_name), code=code, minutes=minutes) + "</p>"
            "<p>" + _("If you didn't ask to follow %(shop)s, ignore this email: nothing happens without the code.",
                      shop=escape(shop_name)) + "</p>")
    return subject, text, html


def send_code(email: str, *, shop_name: str, secret_key: str, settings: mail.MailSettings,
              requested_from: str | None, now: datetime | None = None, log_code: bool = False) -> FollowCode:
    """Make a code for the address, store its hash, and email it (when no server is set, it goes nowhere).

    Codes never reach a production log: only a development server (`log_code`, its debug mode) writes the
    code of an unsent mail there, so the owner can rehearse the follow page without a mail server.

    Raises TooManyCodes (nothing stored or sent), serial.Busy (the database stayed locked; nothing stored
    or sent) or mail.MailError (the stored code is removed again, so a failed send doesn't use up the hour's
    codes). The code is stored, and committed, before the mail goes out: no database lock is held while the
    SMTP server takes its time, and a code being sent already counts towards the hour's.
    """
    email = email.lower()
    now = now or utcnow()
    code = new_code()
    record = serial.submit(lambda: _store_code(email, hash_code(secret_key, email, code), now, requested_from))
    subject, text, html = email_text(shop_name, code)
    if not settings.server:
        if log_code:
            log.warning("No mail server set (CRM_MAIL_SERVER): follow code for %s is %s", email, code)
        else:
            log.warning("No mail server set (CRM_MAIL_SERVER): the follow code for %s was not sent", email)
        return record
    try:
        mail.send(settings, mail.build_message(settings, email, subject, text, html))
    except mail.MailError:
        serial.submit(lambda: db.session.execute(delete(FollowCode).where(FollowCode.id == record.id)))
        raise
    return record


def _store_code(email: str, code_hash: str, now: datetime, requested_from: str | None) -> FollowCode:
    """Store a new code for the address unless it has had MAX_CODES_PER_HOUR in the last hour (TooManyCodes).

    Call inside serial.submit: requests for one address at the same moment then count one after another
    (BEGIN IMMEDIATE on SQLite, a lock on the address on PostgreSQL), so none of them slips past the limit.
    """
    serial.advisory_lock(f"follow:{email}")
    if codes_sent_since(email, now - timedelta(hours=1)) >= MAX_CODES_PER_HOUR:
        raise TooManyCodes(email)
    record = FollowCode(email=email, code_hash=code_hash, created_at=now, expires_at=now + CODE_LIFETIME,
                        attempts=0, requested_from=requested_from)
    db.session.add(record)
    db.session.flush()
    return record


def check_code(code_id: int | None, email: str, typed: str, *, secret_key: str,
               now: datetime | None = None) -> CheckResult:
    """Check a typed code against the code sent to this browser; counts a wrong try, uses up a right one.

    Tries and use are counted with conditional UPDATEs, so requests racing each other can't get more
    than MAX_ATTEMPTS tries or use one code twice.
    """
    email = email.lower()
    now = now or utcnow()
    record = db.session.get(FollowCode, code_id) if code_id is not None else None
    if record is None or record.email != email:
        return CheckResult(CodeState.MISSING)
    if record.used_at is not None:
        return CheckResult(CodeState.USED, code=record)
    if record.attempts >= MAX_ATTEMPTS:
        return CheckResult(CodeState.DEAD, code=record)
    if now >= record.expires_at:
        return CheckResult(CodeState.EXPIRED, code=record)
    live = ((FollowCode.id == record.id) & FollowCode.used_at.is_(None)
            & (FollowCode.attempts < MAX_ATTEMPTS))
    if hmac.compare_digest(hash_code(secret_key, email, typed), record.code_hash):
        won = db.session.execute(update(FollowCode).where(live).values(used_at=now)).rowcount
        db.session.refresh(record)
        if won != 1:
            return CheckResult(CodeState.USED if record.used_at else CodeState.DEAD, code=record)
        return CheckResult(CodeState.ACCEPTED, code=record)
    db.session.execute(update(FollowCode).where(live).values(attempts=FollowCode.attempts + 1))
    db.session.refresh(record)
    tries_left = MAX_ATTEMPTS - record.attempts
    if tries_left <= 0:
        return CheckResult(CodeState.DEAD, code=record)
    return CheckResult(CodeState.WRONG, tries_left=tries_left, code=record)


def proof(record: FollowCode) -> str:
    """How consent was proven, for the audit trail: which code, when it was sent, and from where."""
    sent = record.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f"verified by one-time code #{record.id} sent {sent} "
            f"from {record.requested_from or 'an unknown address'}")


def follow(record: FollowCode, now: datetime | None = None) -> FollowResult:
    """Record the consent a used code proves: a new Prospect (source "follow"), or consent on the customer.

    A customer who already consented keeps their consent time and method, and nothing is recorded again.
    Consent is dated when the code was used: that is the moment the address was proven.
    """
    now = now or record.used_at or utcnow()
    serial.lock_segment_counts()
    actor = Actor(ACTOR)
    consent = Consent(CONSENT_METHOD, at=now, detail=f"turned on from the follow page, consent {proof(record)}")
    customer = find_by_email(record.email)
    if customer is None:
        try:
            # A savepoint: if an order for the same address created the customer a moment ago, the
            # unique email index refuses this one and we carry on with theirs.
            with db.session.begin_nested():
                customer = writer.create({"email": record.email, "email_marketing": True}, source="follow",
                                         actor=actor, consent=consent, created_at=now,
                                         detail=f"Followed the shop; email marketing consent {proof(record)}")
            return FollowResult(customer, created=True, consent_recorded=True)
        except IntegrityError:
            customer = find_by_email(record.email)
            if customer is None:
                raise
    if customer.email_marketing:
        return FollowResult(customer, created=False, consent_recorded=False)
    writer.update(customer, {"email_marketing": True}, actor=actor, consent=consent)
    return FollowResult(customer, created=False, consent_recorded=True)
