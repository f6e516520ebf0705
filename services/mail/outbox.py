"""The outbox as people see it: who was sent what and how it went, and a person's word on a
message that could not be sent, or whose fate is unknown (send it again, cancel it, or say it
arrived), each audited."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from services import audit, incidents
from services.errors import Conflict, NotFound
from services.policy import require
from services.schemas import Page
from services.storage.outbox import Mail
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.statuses import EventKind, MailStatus

# What a person may say of a message, and from which statuses.
SETTLES = {
    "resend": (MailStatus.unknown, MailStatus.dead, MailStatus.cancelled),
    "cancel": (MailStatus.unknown, MailStatus.dead, MailStatus.pending, MailStatus.held),
    "mark_sent": (MailStatus.unknown,),
}


class MailPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int | None
    about: str
    category: str
    user_id: int | None
    organisation_id: int | None
    to_address: str
    language: str
    subject: str
    status: MailStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    last_error: str | None
    digest_id: int | None
    created_at: dt.datetime


class MailWithBody(MailPublic):
    text_body: str


class Word(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


class Outbox:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def page(
        self,
        uow: UnitOfWork,
        actor: Actor,
        status: MailStatus | None,
        case_id: int | None,
        limit: int,
        cursor: str | None,
    ) -> Page[MailPublic]:
        require(actor, Action.mail_read)
        rows, next_cursor = uow.mail.page(status, case_id, limit, cursor)
        return Page(items=[MailPublic.model_validate(m) for m in rows], cursor=next_cursor)

    def get(self, uow: UnitOfWork, actor: Actor, mail_id: int) -> MailWithBody:
        require(actor, Action.mail_read)
        return MailWithBody.model_validate(self._mail(uow, mail_id, lock=False))

    def settle(
        self, uow: UnitOfWork, actor: Actor, mail_id: int, word: str, why: Word
    ) -> MailPublic:
        """`word` is resend, cancel or mark_sent; the message's incident, if any, is over."""
        require(actor, Action.mail_manage)
        mail = self._mail(uow, mail_id, lock=True)
        if mail.status not in SETTLES[word]:
            allowed = ", ".join(SETTLES[word])
            raise Conflict(f"mail {mail_id} is {mail.status}: {word} is for a message {allowed}")
        now = self.clock.now()
        was = mail.status
        if word == "resend":
            if not mail.to_address:
                raise Conflict(f"mail {mail_id} has no address to send to")
            mail.status, mail.next_attempt_at, mail.attempts = MailStatus.pending, now, 0
        elif word == "cancel":
            mail.status, mail.next_attempt_at = MailStatus.cancelled, None
        else:
            mail.status, mail.sent_at = MailStatus.sent, now
        uow.mail.add(mail)
        incidents.mail_settled(uow, mail, f"{word} by {actor.name}: {why.reason}", actor, now)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            case_id=mail.case_id,
            transition=f"mail_{word}",
            reason=why.reason,
            details={"mail": mail.id, "was": was, "about": mail.about},
        )
        return MailPublic.model_validate(mail)

    def _mail(self, uow: UnitOfWork, mail_id: int, *, lock: bool) -> Mail:
        mail = uow.mail.get(mail_id, lock=lock)
        if mail is None:
            raise NotFound(f"there is no mail {mail_id}")
        return mail
