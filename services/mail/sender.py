"""The mail sender: delivers the outbox, each message at most once. It is an entry point, like
the deadline keeper: it opens and commits its own units of work, and none is open while it talks
to the mail server."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from services import incidents
from services.incidents import RetryPolicy
from services.mail.transport import Delivery, Outcome, Transport
from services.storage.outbox import Mail
from services.storage.unit_of_work import UnitOfWork, UnitsOfWork
from workflow.clock import Clock
from workflow.statuses import MailStatus

log = logging.getLogger("grantflow.mail")
HOST = socket.gethostname()


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unknown: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead + self.unknown


class MailSender:
    def __init__(
        self,
        units: UnitsOfWork,
        clock: Clock,
        transport: Transport,
        sender: str,
        retries: RetryPolicy,
        lease: dt.timedelta,
        worker: str | None = None,
    ) -> None:
        self.units = units
        self.clock = clock
        self.transport = transport
        self.sender = sender
        self.domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
        self.retries = retries
        self.lease = lease
        self.worker = worker or f"{HOST}:{os.getpid()}"

    def send_due(self, limit: int | None = None) -> SendResult:
        """Settle messages whose sender died, then send what is due, one message at a time."""
        result = SendResult()
        result.unknown += self.settle_abandoned()
        while limit is None or result.handled < limit:
            status = self.send_next()
            if status is None:
                break
            if status is MailStatus.sent:
                result.sent += 1
            elif status is MailStatus.pending:
                result.retried += 1
            elif status is MailStatus.unknown:
                result.unknown += 1
            else:
                result.dead += 1
        return result

    def send_next(self) -> MailStatus | None:
        """Take one due message (committed as `sending` before a byte goes out), hand it over,
        and record how it went: the message's status after. None when nothing is due."""
        with self.units.writing() as uow:
            mail = uow.mail.claim_next(self.clock.now(), self.worker)
            if mail is None:
                return None
            uow.commit()
            message = self.message(mail)
            mail_id, to = mail.id, mail.to_address
        assert mail_id is not None
        outcome = self.transport.deliver(message, parse_sender(self.sender), to)
        with self.units.writing() as uow:
            status = self._record(uow, mail_id, outcome)
            uow.commit()
        return status

    def settle_abandoned(self) -> int:
        """A message left `sending` by a sender that is gone may have been handed over: mark it
        outcome-unknown and open an incident; it is never sent again without a person's word."""
        now = self.clock.now()
        with self.units.writing() as uow:
            found = 0
            for mail in uow.mail.abandoned(now):
                if not self._gone(mail, now):
                    continue
                mail.status = MailStatus.unknown
                mail.last_error = f"its sender {mail.claimed_by} stopped while sending it"
                uow.mail.add(mail)
                incidents.mail_failed(uow, mail, mail.last_error, now)
                found += 1
            uow.commit()
        return found

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to_address
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(mail.created_at)
        # The same id on every attempt: a server or a reader sees a retry as the same message.
        message["Message-ID"] = f"<grantflow.mail.{mail.id}@{self.domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text_body)
        message.add_alternative(mail.html_body, subtype="html")
        # After the content: setting it clears every Content-* header.
        message["Content-Language"] = mail.language
        return message

    def _record(self, uow: UnitOfWork, mail_id: int, outcome: Outcome) -> MailStatus:
        now = self.clock.now()
        mail = uow.mail.get(mail_id, lock=True)
        assert mail is not None
        mail.attempts += 1
        mail.claimed_at = mail.claimed_by = None
        if outcome.delivery is Delivery.sent:
            mail.status, mail.sent_at, mail.last_error = MailStatus.sent, now, None
        elif outcome.delivery is Delivery.retry and mail.attempts < self.retries.max_attempts:
            mail.status, mail.last_error = MailStatus.pending, outcome.said
            mail.next_attempt_at = now + self.retries.wait_after(mail.attempts)
            log.warning("mail %s not sent (attempt %d): %s", mail_id, mail.attempts, outcome.said)
        else:
            unknown = outcome.delivery is Delivery.unknown
            mail.status = MailStatus.unknown if unknown else MailStatus.dead
            mail.last_error = outcome.said
            incidents.mail_failed(uow, mail, outcome.said, now)
            log.error("mail %s %s: %s", mail_id, mail.status, outcome.said)
        uow.mail.add(mail)
        return MailStatus(mail.status)

    def _gone(self, mail: Mail, now: dt.datetime) -> bool:
        """Whether the sender that took `mail` stopped: a process of this host that is no
        more, or any sender that has held it longer than an SMTP exchange can last."""
        host, _, pid = (mail.claimed_by or "").rpartition(":")
        if host == HOST and pid.isdigit() and f"{HOST}:{pid}" != self.worker:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass  # alive, someone else's
        return mail.claimed_at is None or mail.claimed_at < now - self.lease


def parse_sender(sender: str) -> str:
    """The bare address of a `Name <address>` sender, for the envelope."""
    return parseaddr(sender)[1] or sender
