"""Personal data apart: each person's key, the legal holds that keep their data, and the erasures
proposed and done; and the queries that find and blank a person's data in the plain tables."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

from sqlalchemy import Index, Text, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

from services.storage.checklists import ChecklistAnswer
from services.storage.identities import UserIdentity
from services.storage.keeping import DeadlineExtension
from services.storage.models import (
    ApiToken,
    AuditEvent,
    Case,
    ProgrammeProposal,
    User,
    WebSession,
    time_column,
)
from services.storage.outbox import Mail
from workflow.personal import ERASED
from workflow.statuses import MailStatus


class PersonalKey(SQLModel, table=True):
    """The key a person's data in the audit log is sealed with; erasure blanks `key`, after
    which the sealed text is noise and the chain, which hashed the noise, still verifies."""

    __tablename__ = "personal_key"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    key: str | None = Field(default=None, description="base64 of 32 random bytes; none: erased")
    created_at: dt.datetime = time_column()
    erased_at: dt.datetime | None = time_column(nullable=True)
    erased_by: int | None = None


class LegalHold(SQLModel, table=True):
    """Keeps a person's data, or the data of everyone who acted on a case, from erasure (a
    dispute, an investigation, an appeal) until it is lifted."""

    __tablename__ = "legal_hold"
    __table_args__ = (
        Index("ix_legal_hold_user", "user_id"),
        Index("ix_legal_hold_case", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    reason: str = Field(sa_type=Text)
    placed_by: int | None = None
    placed_at: dt.datetime = time_column()
    lifted_by: int | None = None
    lifted_at: dt.datetime | None = time_column(nullable=True)


class ErasureProposal(SQLModel, table=True):
    """A person whose data the retention rules say may go, waiting for a person to approve."""

    __tablename__ = "erasure_proposal"
    __table_args__ = (Index("ix_erasure_proposal_user_status", "user_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    status: str = Field(description="proposed, approved, refused")
    grounds: str = Field(sa_type=Text, description="why retention allows it, in words")
    proposed_at: dt.datetime = time_column()
    decided_by: int | None = None
    decided_at: dt.datetime | None = time_column(nullable=True)
    reason: str | None = Field(default=None, sa_type=Text)


# Keys read for sealing, kept for the life of the process (by database and person), so an audited
# step need not read its actor's key every time. Only for sealing: opening always reads the keys
# afresh, so an erasure made by another process hides the person's data at once, and what a key
# erased there still seals here no one can open. A key made in a transaction not yet committed is
# never kept (it may roll back).
_SEALING_KEYS: dict[tuple[str, int], PersonalKey] = {}
_MADE = "personal keys made"


def _database_of(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url)


class PrivacyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Keys

    def key_of(self, user_id: int) -> PersonalKey | None:
        return self.session.get(PersonalKey, user_id)

    def sealing_key(self, user_id: int) -> PersonalKey | None:
        """The person's key to seal with: as kept by this process, else read (and kept)."""
        database = _database_of(self.session)
        if (kept := _SEALING_KEYS.get((database, user_id))) is not None:
            return kept
        row = self.session.get(PersonalKey, user_id)
        if (
            row is not None
            and row.key is not None
            and user_id not in self.session.info.get(_MADE, ())
        ):
            _SEALING_KEYS[database, user_id] = PersonalKey(
                user_id=user_id, key=row.key, created_at=row.created_at
            )
        return row

    def add_key(self, row: PersonalKey) -> None:
        self.session.info.setdefault(_MADE, set()).add(row.user_id)
        self.session.add(row)
        self.session.flush()

    def keys(self, user_ids: set[int]) -> dict[int, str | None]:
        """The key of each of these people who has one (None: erased) for opening what they sealed."""
        if not user_ids:
            return {}
        query = select(PersonalKey.user_id, PersonalKey.key).where(
            col(PersonalKey.user_id).in_(sorted(user_ids))
        )
        return {uid: key for uid, key in self.session.exec(query).all()}

    def save(self, row: PersonalKey | LegalHold | ErasureProposal | User) -> None:
        if isinstance(row, PersonalKey):  # an erasure: this process seals nothing more with it
            _SEALING_KEYS.pop((_database_of(self.session), row.user_id), None)
        self.session.add(row)
        self.session.flush()

    # Holds

    def hold(self, hold_id: int) -> LegalHold | None:
        return self.session.get(LegalHold, hold_id)

    def holds(self, active_only: bool = True) -> list[LegalHold]:
        query = select(LegalHold).order_by(col(LegalHold.id))
        if active_only:
            query = query.where(col(LegalHold.lifted_at).is_(None))
        return list(self.session.exec(query).all())

    def holds_over(self, user_id: int, case_ids: set[int]) -> list[LegalHold]:
        """The active holds on the person, or on any of the cases they acted on."""
        on = col(LegalHold.user_id) == user_id
        if case_ids:
            on = or_(on, col(LegalHold.case_id).in_(sorted(case_ids)))
        query = select(LegalHold).where(on, col(LegalHold.lifted_at).is_(None))
        return list(self.session.exec(query.order_by(col(LegalHold.id))).all())

    # Proposals

    def proposal(self, proposal_id: int) -> ErasureProposal | None:
        return self.session.get(ErasureProposal, proposal_id)

    def proposals(self, status: str | None = None) -> list[ErasureProposal]:
        query = select(ErasureProposal).order_by(col(ErasureProposal.id))
        if status is not None:
            query = query.where(ErasureProposal.status == status)
        return list(self.session.exec(query).all())

    def open_proposal_of(self, user_id: int) -> ErasureProposal | None:
        query = select(ErasureProposal).where(
            ErasureProposal.user_id == user_id, ErasureProposal.status == "proposed"
        )
        return self.session.exec(query).first()


class PersonalDataRepository:
    """Where a person's data is: the cases they acted on, and every plain table that copies it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # Retention

    def inactive_people(self) -> list[User]:
        """Disabled users whose data is still here: those retention may concern."""
        erased = select(PersonalKey.user_id).where(col(PersonalKey.erased_at).is_not(None))
        query = (
            select(User)
            .where(col(User.active).is_(False), col(User.id).not_in(erased))
            .order_by(col(User.id))
        )
        return list(self.session.exec(query).all())

    def payloads_by(self, actor_id: int) -> Iterator[tuple[int, str]]:
        """The numbers and texts of the events a person acted in, in order, a batch at a time."""
        query = (
            select(AuditEvent.seq, AuditEvent.payload)
            .where(AuditEvent.actor_id == actor_id)
            .order_by(col(AuditEvent.seq))
            .execution_options(yield_per=1000)
        )
        for row in self.session.exec(query):
            yield row[0], row[1]

    def cases_acted_on(self, user_id: int) -> list[Case]:
        acted = select(AuditEvent.case_id).where(
            AuditEvent.actor_id == user_id, col(AuditEvent.case_id).is_not(None)
        )
        query = select(Case).where(col(Case.id).in_(acted.distinct())).order_by(col(Case.id))
        return list(self.session.exec(query).all())

    # Blanking the plain tables

    def blank(self, user: User, now: dt.datetime, words: set[str], seqs: set[int]) -> None:
        """Remove the person's data from every table outside the chain, in the caller's
        transaction: who they are, how they signed in, the mail to them, and their name where
        another table copied it."""
        assert user.id is not None
        uid, name, address = user.id, user.name, user.email
        user.name, user.email, user.language, user.active = f"{ERASED} {uid}", None, None, False
        self.session.add(user)
        s = self.session
        for row in s.exec(select(WebSession).where(WebSession.user_id == uid)).all():
            s.delete(row)  # signed out everywhere
        for identity in s.exec(select(UserIdentity).where(UserIdentity.user_id == uid)).all():
            s.delete(identity)
        tokens = update(ApiToken).where(col(ApiToken.user_id) == uid)
        s.execute(tokens.where(col(ApiToken.revoked_at).is_(None)).values(revoked_at=now))
        s.execute(tokens.values(label=""))
        s.execute(
            update(DeadlineExtension)
            .where(col(DeadlineExtension.actor_id) == uid)
            .values(actor_name=ERASED)
        )
        # A note written with an answer to a case's checklist is the person's words.
        s.execute(
            update(ChecklistAnswer)
            .where(col(ChecklistAnswer.answered_by) == uid)
            .values(note=ERASED)
        )
        parties = update(ProgrammeProposal)
        s.execute(
            parties.where(col(ProgrammeProposal.proposed_by) == uid).values(proposed_by_name=ERASED)
        )
        s.execute(
            parties.where(col(ProgrammeProposal.decided_by) == uid).values(decided_by_name=ERASED)
        )
        to_them = update(Mail).where(col(Mail.user_id) == uid)
        s.execute(
            to_them.values(to_address=ERASED, subject=ERASED, text_body=ERASED, html_body=ERASED)
        )
        unsent = [MailStatus.pending, MailStatus.held]
        s.execute(to_them.where(col(Mail.status).in_(unsent)).values(status=MailStatus.cancelled))
        # Mail to others that names them anywhere, or quotes what they wrote (a note to the
        # applicant) in a message about an act of theirs.
        for text in (t for t in (name, address) if t):
            found = or_(
                col(Mail.subject).contains(text),
                col(Mail.text_body).contains(text),
                col(Mail.html_body).contains(text),
            )
            self._blank_in(list(self.session.exec(select(Mail).where(found)).all()), {text})
        if seqs and words:
            about = select(Mail).where(col(Mail.event_seq).in_(sorted(seqs)))
            self._blank_in(list(self.session.exec(about).all()), words)

    def _blank_in(self, mails: list[Mail], texts: set[str]) -> None:
        # Longest first, so a text inside another is not blanked half.
        ordered = sorted(texts, key=len, reverse=True)
        for mail in mails:
            for text in ordered:
                for variant in {text, html.escape(text)}:
                    mail.subject = mail.subject.replace(variant, ERASED)
                    mail.text_body = mail.text_body.replace(variant, ERASED)
                    mail.html_body = mail.html_body.replace(variant, ERASED)
            self.session.add(mail)
