"""How a message leaves: by SMTP, or into a folder of `.eml` files where no server is set.

An SMTP exchange is told apart at the one point that matters: before the server has the whole
message, a failure means it was not sent (try again later); once the message is handed over, a
dropped connection means no one knows (it is never sent again without a person's word)."""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Delivery(StrEnum):
    sent = "sent"
    retry = "retry"  # not handed over; a later attempt may work
    refused = "refused"  # the server refused it for good (a 5xx reply)
    unknown = "unknown"  # handed over, then the connection failed before the server said


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    said: str = ""


class Transport(Protocol):
    def deliver(self, message: EmailMessage, sender: str, recipient: str) -> Outcome: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    starttls: bool
    username: str
    password: str
    timeout: float
    ca_file: Path | None = None

    def deliver(self, message: EmailMessage, sender: str, recipient: str) -> Outcome:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            return Outcome(Delivery.retry, f"connect {self.host}:{self.port}: {_said(error)}")
        try:
            try:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                code, reply = smtp.mail(sender)
                if code != 250:
                    return _rejected("MAIL FROM", code, reply)
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    return _rejected("RCPT TO", code, reply)
            except (OSError, smtplib.SMTPException) as error:
                return Outcome(Delivery.retry, _said(error))
            try:
                # smtplib sends bytes as they are: the SMTP policy gives them CRLF line ends.
                code, reply = smtp.data(message.as_bytes(policy=email.policy.SMTP))
            except smtplib.SMTPDataError as error:  # the server would not take data at all
                return _rejected("DATA", error.smtp_code, error.smtp_error)
            except (OSError, smtplib.SMTPException) as error:
                return Outcome(Delivery.unknown, f"after handing the message over: {_said(error)}")
            if code != 250:
                return _rejected("end of data", code, reply)
            return Outcome(Delivery.sent, f"{code} {reply.decode(errors='replace')}")
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


@dataclass(frozen=True)
class FolderTransport:
    """A development sink: each message as `<Message-ID>.eml`, written whole or not at all."""

    folder: Path

    def deliver(self, message: EmailMessage, sender: str, recipient: str) -> Outcome:
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        target = self.folder / f"{name}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            partial.write_bytes(message.as_bytes(policy=email.policy.SMTP))
            os.replace(partial, target)
        except OSError as error:
            return Outcome(Delivery.retry, f"write {target}: {_said(error)}")
        return Outcome(Delivery.sent, f"written to {target}")


def _rejected(step: str, code: int, reply: bytes | str) -> Outcome:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    delivery = Delivery.refused if 500 <= code < 600 else Delivery.retry
    return Outcome(delivery, f"{step}: {code} {text}")


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
