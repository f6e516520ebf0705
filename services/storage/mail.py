"""Queries on the mail outbox, and on who its messages go to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from services.storage.cases import known_parties
from services.storage.models import AuditEvent, CaseParty, Organisation, User
from services.storage.outbox import Mail
from services.storage.paging import Key, page
from services.storage.rows import RowInsert
from workflow.clock import assume_utc
from workflow.statuses import MailStatus


def _handling() -> Any:
    last = (
        select(AuditEvent.actor_id)
        .where(
            col(AuditEvent.case_id) == bindparam("case_id"),
            # Its own parameter: the audit table stores a role as a number (0028), users as a word.
            col(AuditEvent.role) == bindparam("event_role"),
            or_(col(AuditEvent.kind) == "transition", col(AuditEvent.kind) == "amended"),
        )
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
        .scalar_subquery()
    )
    handler = aliased(User)
    someone = exists().where(col(handler.id) == last, col(handler.active))
    return (
        select(User)
        .where(
            col(User.active),
            or_(col(User.id) == last, and_(col(User.role) == bindparam("role"), ~someone)),
        )
        .order_by(col(User.id))
    )


# Built once: a transition asks it each time it tells a caseworker.
HANDLING = _handling()
_MAIL = RowInsert(Mail)


class MailRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, mail: Mail, *, with_id: bool = False) -> Mail:
        """Keep `mail`, new or changed; it is written (and a new one has its id) at the next
        flush with the rest, or at once `with_id`."""
        self.session.add(mail)
        if with_id:
            self.session.flush()
        return mail

    def queue(self, messages: Iterable[Mapping[str, Any]]) -> None:
        """Put new messages (the mail table's columns) in the outbox, written at once."""
        _MAIL.add_many(self.session, messages)

    def get(self, mail_id: int, *, lock: bool = False) -> Mail | None:
        query = select(Mail).where(Mail.id == mail_id)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def claim_next(self, now: dt.datetime, worker: str) -> Mail | None:
        """Take the message due longest, marking it `sending` by `worker`; None: nothing due, or
        another sender took it between the read and the update (the caller asks again)."""
        due = self.session.exec(
            select(Mail.id)
            .where(Mail.status == MailStatus.pending, col(Mail.next_attempt_at) <= now)
            .order_by(col(Mail.next_attempt_at), col(Mail.id))
            .limit(1)
        ).first()
        if due is None:
            return None
        taken = self.session.execute(
            update(Mail)
            .where(col(Mail.id) == due, col(Mail.status) == MailStatus.pending)
            .values(status=MailStatus.sending, claimed_at=now, claimed_by=worker)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        mail = self.session.get(Mail, due)
        assert mail is not None
        self.session.refresh(mail)
        return mail

    def any_due(self, now: dt.datetime) -> bool:
        found = self.session.exec(
            select(Mail.id)
            .where(Mail.status == MailStatus.pending, col(Mail.next_attempt_at) <= now)
            .limit(1)
        ).first()
        return found is not None

    def backlog(self) -> tuple[int, dt.datetime | None]:
        """How many messages wait to be sent, and since when the longest has been due."""
        count, oldest = self.session.execute(
            select(func.count(), func.min(Mail.next_attempt_at)).where(
                Mail.status == MailStatus.pending
            )
        ).one()
        return int(count), assume_utc(oldest)

    def abandoned(self, claimed_before: dt.datetime) -> list[Mail]:
        """Messages a sender took before `claimed_before` and never said how it went."""
        return list(
            self.session.exec(
                select(Mail)
                .where(Mail.status == MailStatus.sending, col(Mail.claimed_at) < claimed_before)
                .order_by(col(Mail.id))
                .with_for_update()
            )
        )

    def held(self) -> list[Mail]:
        """Messages waiting for their recipients' digests, by recipient and age."""
        return list(
            self.session.exec(
                select(Mail)
                .where(Mail.status == MailStatus.held)
                .order_by(col(Mail.user_id), col(Mail.id))
                .with_for_update()
            )
        )

    def page(
        self, status: MailStatus | None, case_id: int | None, limit: int, cursor: str | None
    ) -> tuple[list[Mail], str | None]:
        keys: list[Key] = [(col(Mail.id), True)]
        query = select(Mail)
        if status is not None:
            query = query.where(Mail.status == status)
        if case_id is not None:
            query = query.where(Mail.case_id == case_id)
        return page(self.session, query, keys, limit, cursor, lambda m: [m.id])

    # Who messages go to.

    def staff(self, role: str) -> list[User]:
        return list(
            self.session.exec(
                select(User).where(User.role == role, col(User.active)).order_by(col(User.id))
            )
        )

    def handling(self, case_id: int, role: str) -> list[User]:
        """The active person of `role` who last moved or amended the case; if there is none,
        every active person of that role (one query either way)."""
        found = self.session.exec(
            HANDLING, params={"case_id": case_id, "role": role, "event_role": role}
        )
        return list(found)

    def parties(self, case_id: int, *, lead_only: bool) -> list[Organisation]:
        """The case's lead applicant, or every party that confirmed (the lead first)."""
        if (known := known_parties(self.session, case_id)) is not None:
            chosen = [(p, o) for p, o in known if p.is_lead or (not lead_only and p.confirmed_at)]
            return [o for _, o in sorted(chosen, key=lambda po: (not po[0].is_lead, po[1].id))]
        query = (
            select(Organisation)
            .join(CaseParty, col(CaseParty.organisation_id) == Organisation.id)
            .where(CaseParty.case_id == case_id)
            .order_by(col(CaseParty.is_lead).desc(), col(Organisation.id))
        )
        if lead_only:
            query = query.where(col(CaseParty.is_lead))
        else:
            query = query.where(
                or_(col(CaseParty.is_lead), col(CaseParty.confirmed_at).is_not(None))
            )
        return list(self.session.exec(query))
