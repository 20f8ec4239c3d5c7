"""Sending email through an SMTP server (smtplib), with the server's settings passed in explicitly."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .text import as_one_line


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


def _flag(value: object) -> bool:
    """A yes/no setting that may arrive as a bool (instance config, JSON env) or as text ("true", "1")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _text(value: object) -> str | None:
    """A text setting, or None when unset; CRM_* variables that look like JSON arrive as numbers."""
    return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: no server means "don't send" (the caller logs instead)."""

    server: str | None = None
    port: int = 25
    sender: str = "crm@localhost"
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # STARTTLS after connecting
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        """Read the MAIL_* settings from an app config (or any mapping)."""
        return cls(server=_text(config.get("MAIL_SERVER")), port=int(config.get("MAIL_PORT") or 25),
                   sender=_text(config.get("MAIL_FROM")) or "crm@localhost",
                   username=_text(config.get("MAIL_USERNAME")), password=_text(config.get("MAIL_PASSWORD")),
                   use_tls=_flag(config.get("MAIL_USE_TLS")), timeout=float(config.get("MAIL_TIMEOUT") or 10))


def build_message(settings: MailSettings, to: str, subject: str, text: str,
                  html: str | None = None) -> EmailMessage:
    """A plain-text message (with an HTML alternative when given), From the configured sender."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    # Header values must be one line; a shop name stored before control characters were refused must not
    # end the header or carry ESC and BEL into mail clients.
    message["Subject"] = as_one_line(subject)
    message["Date"] = formatdate(localtime=False)
    domain = settings.sender.rpartition("@")[2].strip(" >") or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; any failure (refused, timed out, rejected) raises MailError."""
    if not settings.server:
        raise MailError("no mail server configured")
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused, unreachable and timeouts
        raise MailError(f"{type(exc).__name__}: {exc}") from exc


# Mail that a page must not wait for (a reset link: the answer must come as fast whether or not the address is
# known). One thread, so a slow server holds up only the mail behind it, never a page.
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-mail")


def send_later(settings: MailSettings, message: EmailMessage, on_error: Callable[[MailError], None]) -> Future:
    """Hand the message to the SMTP server from the mail thread; `on_error` hears of a failure there."""
    def work() -> None:
        try:
            send(settings, message)
        except MailError as exc:
            on_error(exc)

    return _outbox.submit(work)
