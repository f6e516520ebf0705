"""The one place a notification becomes mail in the outbox: in the unit of work of the change it
tells of, so a message is owed exactly when that change committed, and never otherwise."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from services.mail.composing import Composer, Telling
from services.mail.recipients import Recipient, resolve
from services.programmes import ProgrammeRegistry
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.catalogue import Catalogue
from workflow.statuses import MailCategory, MailStatus


class Message(TypedDict):
    """A composed message, as the outbox (the mail table) will keep it."""

    case_id: int | None
    programme_id: int
    event_seq: int | None
    about: str
    category: MailCategory
    user_id: int | None
    organisation_id: int | None
    to_address: str
    language: str
    subject: str
    text_body: str
    html_body: str
    status: MailStatus
    next_attempt_at: dt.datetime
    created_at: dt.datetime


class Notices:
    def __init__(
        self,
        catalogue: Catalogue,
        programmes: ProgrammeRegistry,
        composer: Composer,
        public_url: str,
        staff_language: str = "sv",
    ) -> None:
        self.catalogue = catalogue
        self.programmes = programmes
        self.composer = composer
        self.public_url = public_url.rstrip("/")
        self.staff_language = staff_language

    def tell(
        self,
        uow: UnitOfWork,
        about: str,
        programme_id: int,
        case: Case | None,
        now: dt.datetime,
        *,
        event_seq: int | None = None,
        note: str | None = None,
        due_at: dt.datetime | None = None,
        call_code: str | None = None,
    ) -> list[Message]:
        """Queue what the rules say `about` (a transition or a deadline kind) is to tell, to
        whom, on `case` (or on a programme's call); the messages of it, one per recipient."""
        messages = self.compose(
            uow, about, programme_id, case, now, note=note, due_at=due_at, call_code=call_code
        )
        return self.queue(uow, messages, event_seq)

    def queue(
        self, uow: UnitOfWork, messages: list[Message], event_seq: int | None
    ) -> list[Message]:
        """Put composed messages in the outbox, each naming the event it tells of."""
        for message in messages:
            message["event_seq"] = event_seq
        uow.mail.queue(messages)
        return messages

    def compose(
        self,
        uow: UnitOfWork,
        about: str,
        programme_id: int,
        case: Case | None,
        now: dt.datetime,
        *,
        note: str | None = None,
        due_at: dt.datetime | None = None,
        call_code: str | None = None,
        state: str | None = None,
    ) -> list[Message]:
        """The messages `tell` would queue, not queued yet: a transition reads who is told
        before it locks the audit chain's head, and queues them after its event; `state` is
        the one it moves the case to, which the case's row does not say yet."""
        programme = self.programmes.config_of(programme_id)
        rule = self.catalogue.notices.for_(about, programme.notifications if programme else None)
        if rule is None:
            return []
        language = programme.language if programme else "en"
        telling = self._telling(about, programme_id, case, note, due_at, call_code, state)
        queued: list[Message] = []
        for recipient in resolve(uow, rule.to, case, language, self.staff_language):
            if rule.category is MailCategory.reminder and not recipient.reminders:
                continue  # their choice; decisions and events cannot be turned off
            composed = self.composer.notice(telling, recipient.name, recipient.language)
            queued.append(
                Message(
                    case_id=case.id if case is not None else None,
                    programme_id=programme_id,
                    event_seq=None,
                    about=about,
                    category=rule.category,
                    user_id=recipient.user_id,
                    organisation_id=recipient.organisation_id,
                    to_address=recipient.address or "",
                    language=recipient.language,
                    subject=composed.subject,
                    text_body=composed.text,
                    html_body=composed.html,
                    status=_first_status(recipient, rule.category),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        return queued

    def link(self, case_id: int | None, programme_code: str = "") -> str:
        if case_id is not None:
            return f"{self.public_url}/ui/cases/{case_id}"
        return f"{self.public_url}/ui/programmes/{programme_code}"

    def _telling(
        self,
        about: str,
        programme_id: int,
        case: Case | None,
        note: str | None,
        due_at: dt.datetime | None,
        call_code: str | None,
        state_name: str | None = None,
    ) -> Telling:
        lifecycle = self.catalogue.lifecycle
        programme = self.programmes.config_of(programme_id)
        kind = lifecycle.deadlines.get(about)
        transition = lifecycle.any_transition(about)
        what = transition.label if transition else kind.label if kind else {}
        state_name = state_name or (case.state if case is not None else None)
        state = lifecycle.states.get(state_name) if state_name else None
        code = self.programmes.code_of(programme_id)
        return Telling(
            about=about,
            what=what,
            reference=self.programmes.reference(programme_id, case.id)
            if case is not None and case.id is not None
            else (call_code or code),
            title=case.title if case is not None else "",
            link=self.link(case.id if case is not None else None, code),
            programme=programme.name if programme else {},
            funder=programme.funder if programme else "",
            state=state.label if state is not None else {},
            message=kind.message if kind else {},
            note=note,
            due_at=due_at,
        )


def _first_status(recipient: Recipient, category: MailCategory) -> MailStatus:
    if not recipient.address:
        return MailStatus.no_address
    if recipient.digest and category is MailCategory.event:
        return MailStatus.held
    return MailStatus.pending
