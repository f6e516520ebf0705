"""A real SMTP server in the test process (aiosmtpd), recording what it is handed; it can hold a
message (to let a test kill the sender mid-exchange) or refuse every message for a while."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
        return str(part.get_content())


@dataclass
class MailServer:
    port: int
    received: list[Received] = field(default_factory=list)
    # Hold the n-th message once its data is in: `holding` is set, the reply waits for `release`.
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        if self.hold_at is not None and len(self.received) == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


@contextmanager
def mail_server(**smtp: Any) -> Iterator[MailServer]:
    """`smtp`: aiosmtpd's options (tls_context, require_starttls, authenticator, ...)."""
    server = MailServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **smtp)
    controller.start()
    try:
        yield server
    finally:
        server.release.set()
        controller.stop()
