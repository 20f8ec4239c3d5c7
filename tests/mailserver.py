"""A real SMTP server on loopback for the tests (aiosmtpd), keeping what it receives."""

import email
import re
import socket
from email import policy

from aiosmtpd.controller import Controller


class Collector:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        """Keep the message and its envelope recipients; accept it."""
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(handler, **smtp_options) -> Controller:
    """Start an SMTP server on 127.0.0.1 with this handler (and aiosmtpd SMTP options); stop() it when done."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    return controller


def last_code(handler: Collector) -> str:
    """The 6-digit follow code in the newest delivered message."""
    _rcpt, message = handler.messages[-1]
    return re.search(r"\bis (\d{6})\.", message.get_body(("plain",)).get_content()).group(1)


def wrong_code(right: str) -> str:
    """A 6-digit code that is not the right one."""
    return f"{(int(right) + 1) % 1_000_000:06d}"
