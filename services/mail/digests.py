"""The daily digest: a caseworker who chose it gets one mail each morning listing the events held
for them since the last, instead of one mail each. Kept in the deadline table like the service's
other jobs, so exactly one scheduler sends each morning's digests."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from zoneinfo import ZoneInfo

from services.deadlines.firing import next_daily
from services.mail.composing import DigestItem
from services.mail.queueing import Notices
from services.mail.recipients import of_user
from services.storage.keeping import Deadline
from services.storage.outbox import Mail
from services.storage.unit_of_work import UnitOfWork
from workflow.statuses import MailCategory, MailStatus

DIGEST_KIND = "mail_digest"


class DailyDigest:
    kind = DIGEST_KIND

    def __init__(self, notices: Notices, hour: int, time_zone: str) -> None:
        self.notices = notices
        self.at = dt.time(hour)
        self.zone = ZoneInfo(time_zone)

    def plan(self, uow: UnitOfWork, now: dt.datetime) -> None:
        if not uow.deadlines.any_pending(self.kind):
            uow.deadlines.plan_once(self._next(now, "settings#mail_digest_hour"))

    def fire(self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> str:
        digests = held = 0
        for user_id, items in groupby(uow.mail.held(), key=lambda m: m.user_id):
            events = list(items)
            user = uow.people.user(user_id) if user_id is not None else None
            if user is None:
                continue
            recipient = of_user(user, events[0].language)
            composed = self.notices.composer.digest(
                [self._item(m) for m in events], recipient.name, recipient.language
            )
            digest = uow.mail.add(
                Mail(
                    about=self.kind,
                    category=MailCategory.event,
                    user_id=user_id,
                    to_address=recipient.address or "",
                    language=recipient.language,
                    subject=composed.subject,
                    text_body=composed.text,
                    html_body=composed.html,
                    status=MailStatus.pending if recipient.address else MailStatus.no_address,
                    next_attempt_at=now,
                    created_at=now,
                ),
                with_id=True,
            )
            for mail in events:
                mail.status, mail.digest_id = MailStatus.digested, digest.id
                uow.mail.add(mail)
            digests, held = digests + 1, held + len(events)
        uow.deadlines.plan_once(self._next(now, deadline.rule))
        return f"{digests} digests of {held} messages"

    def _item(self, mail: Mail) -> DigestItem:
        code = self.notices.programmes.code_of(mail.programme_id)
        return DigestItem(
            at=self.notices.composer.local(mail.created_at),
            subject=mail.subject,
            link=self.notices.link(mail.case_id, code),
        )

    def _next(self, now: dt.datetime, rule: str) -> Deadline:
        return next_daily(self.kind, now, self.at, self.zone, rule)
