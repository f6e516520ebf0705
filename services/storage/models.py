"""The tables. The schema itself comes from the alembic migrations beside this file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from services.storage.audit_codes import KindCode, RoleCode
from services.storage.audit_encoding import PackedPayload, RawHash
from services.storage.types import SEQ_TYPE, MoneyAmount, UTCDateTime


def money_column(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=MoneyAmount, nullable=True)
    return Field(default=Decimal("0.00"), sa_type=MoneyAmount, nullable=False)


def time_column(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    kind: str = Field(description="municipality, region, non_profit, foundation or agency")
    country: str = Field(max_length=2)
    org_number: str | None = None
    email: str | None = Field(default=None, description="where the organisation's mail goes")
    language: str | None = Field(
        default=None, max_length=2, description="sv, da or en; none: the programme's language"
    )
    mail_reminders: bool = Field(default=True, description="false: no reminders (decisions still)")


class Agreement(SQLModel, table=True):
    """A joint local agreement between municipalities and the employment service (seeds/000, 003):
    its parties, how long it is valid, and the local tracks it describes."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    employment_service_id: int | None = Field(default=None, foreign_key="organisation.id")
    valid_from: dt.date
    valid_to: dt.date | None = None
    local_tracks: str = Field(
        default="[]", sa_type=Text, description="JSON list of the tracks' names"
    )
    created_at: dt.datetime = time_column()


class AgreementParty(SQLModel, table=True):
    __tablename__ = "agreement_party"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")


class Programme(SQLModel, table=True):
    """A programme as registered from its file in config/programmes/; the file holds the rules."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    title: str
    currency: str = Field(max_length=3)
    time_zone: str
    config_sha256: str
    loaded_at: dt.datetime = time_column()
    # Confirmed decisions' total, kept with each confirmation in its transaction (the row is
    # locked while a decision checks the pool), so "how much is left" is one row, not a sum.
    committed: Decimal = money_column()
    # Retired: no new cases from then on; running ones finish under the rules they have.
    retired_at: dt.datetime | None = time_column(nullable=True)
    retired_reason: str | None = Field(default=None, sa_type=Text)


class ProgrammeVersion(SQLModel, table=True):
    """A programme file's content as it was registered: what decided the cases made under it."""

    __tablename__ = "programme_version"
    __table_args__ = (UniqueConstraint("programme_id", "version", name="uq_programme_version"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    version: int
    sha256: str = Field(max_length=64)
    content: str = Field(sa_type=Text)
    effective_from: dt.datetime = time_column()
    registered_at: dt.datetime = time_column()
    registered_by: str
    reason: str = Field(sa_type=Text)


class ProgrammeProposal(SQLModel, table=True):
    """A new version of a programme's rules one administrator proposed, with the plan of what it
    would move, for another to approve (four eyes)."""

    __tablename__ = "programme_proposal"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    content: str = Field(sa_type=Text)
    sha256: str = Field(max_length=64)
    plan_hash: str = Field(max_length=64)
    plan: str = Field(sa_type=Text, description="the plan as JSON, as made when proposed")
    reason: str = Field(sa_type=Text)
    proposed_by: int | None = None
    proposed_by_name: str
    proposed_at: dt.datetime = time_column()
    status: str = Field(description="proposed or applied")
    decided_by: int | None = None
    decided_by_name: str | None = None
    decided_at: dt.datetime | None = time_column(nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    active: bool = True
    created_at: dt.datetime = time_column()
    email: str | None = None
    language: str | None = Field(default=None, max_length=2)
    mail_digest: bool = Field(default=False, description="one mail a day instead of one an event")
    mail_reminders: bool = True


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, so a copy of the database opens nothing."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_sha256: str = Field(unique=True)
    label: str = ""
    created_at: dt.datetime = time_column()
    revoked_at: dt.datetime | None = time_column(nullable=True)
    # After this the token opens nothing, as if revoked; None: it does not expire (made before 0.2).
    expires_at: dt.datetime | None = time_column(nullable=True)


class Case(SQLModel, table=True):
    __tablename__ = "grant_case"
    __table_args__ = (
        # A programme's cases in a state, by number (the list) or newest first (the inbox).
        Index("ix_grant_case_programme_state_id", "programme_id", "state", "id"),
        Index(
            "ix_grant_case_programme_state_updated_at_id",
            "programme_id",
            "state",
            "updated_at",
            "id",
        ),
        Index("ix_grant_case_organisation", "organisation_id"),
        # The inbox's order, newest change first, one page at a time: of every case, and of
        # the cases in one state (which also serves finding the cases in a state).
        Index("ix_grant_case_updated_at_id", "updated_at", "id"),
        Index("ix_grant_case_state_updated_at_id", "state", "updated_at", "id"),
        Index("uq_grant_case_registry_number", "registry_number", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    organisation_id: int = Field(foreign_key="organisation.id", description="the lead applicant")
    title: str
    state: str
    version: int = 1
    registry_number: str | None = Field(
        default=None, max_length=40, description="SFU 2026/0123; none for generated cases"
    )
    call_code: str | None = Field(default=None, description="the call the application belongs to")
    programme_version: int | None = Field(
        default=None, description="the programme version it was made under; none before 0.2"
    )
    agreement_id: int | None = Field(default=None, foreign_key="agreement.id")
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    target_group_size: int | None = None
    assessed_eligible: Decimal | None = money_column(nullable=True)
    certification: str | None = None
    requested_amount: Decimal | None = money_column(nullable=True)
    granted_amount: Decimal = money_column()
    disbursed_amount: Decimal = money_column()
    reported_costs: Decimal | None = money_column(nullable=True)
    eligible_spent: Decimal | None = money_column(nullable=True)
    to_repay: Decimal = money_column()
    balance_due: Decimal = money_column()
    repaid_amount: Decimal = money_column()
    created_at: dt.datetime = time_column()
    updated_at: dt.datetime = time_column()


class CaseParty(SQLModel, table=True):
    """An organisation on a case; joint applications have several, exactly one of them the lead."""

    __tablename__ = "case_party"
    __table_args__ = (
        UniqueConstraint("case_id", "organisation_id"),
        # At most one lead per case, enforced by the database; the service makes it at least one.
        Index(
            "uq_case_party_one_lead",
            "case_id",
            unique=True,
            sqlite_where=text("is_lead"),
            postgresql_where=text("is_lead"),
        ),
        Index("ix_case_party_organisation", "organisation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    is_lead: bool = False
    # When the organisation confirmed it applies jointly; a partner an applicant named is listed
    # and counted only from then on.
    confirmed_at: dt.datetime | None = time_column(nullable=True)


class Decision(SQLModel, table=True):
    """A grant decision: proposed by one person, confirmed by another (seeds/001: ceiling, period, conditions)."""

    __table_args__ = (Index("ix_decision_case_status", "case_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id")
    status: str = Field(description="proposed, confirmed or withdrawn")
    amount: Decimal = money_column()
    period_start: dt.date
    period_end: dt.date
    conditions: str = Field(default="", sa_type=Text)
    proposed_by: int | None = Field(default=None, foreign_key="app_user.id")
    proposed_at: dt.datetime = time_column()
    settled_by: int | None = Field(default=None, foreign_key="app_user.id")
    settled_at: dt.datetime | None = time_column(nullable=True)
    withdrawn_reason: str | None = None
    programme_version: int | None = Field(
        default=None, description="the programme version it was made under; none before 0.2"
    )
    # An approved amendment makes a new version of a confirmed decision; the old one is kept,
    # superseded, so history and `as_of` still show what was decided first.
    version: int = 1
    supersedes_id: int | None = Field(default=None, description="the decision it replaced")
    amendment_id: int | None = None


class AuditEvent(SQLModel, table=True):
    """One link of the hash chain. `payload` is the canonical text the hash covers; the other
    columns repeat parts of it for querying, and verification checks they agree. What no query
    reads (the previous hash, the states) is in the payload alone (migration 0024)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_case_seq", "case_id", "seq"),
        Index("ix_audit_event_actor_seq", "actor_id", "seq"),
        Index("ix_audit_event_transition_seq", "transition", "seq"),
    )

    seq: int = Field(sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=False))
    at: dt.datetime = Field(sa_type=UTCDateTime)  # no index: events are in time order (0025)
    case_id: int | None = Field(default=None)
    kind: str = Field(sa_type=KindCode, description="created, transition, refusal or fact")
    transition: str | None = None
    actor_id: int | None = None
    role: str = Field(sa_type=RoleCode)  # kind and role stored as small numbers (0028)
    payload: str = Field(sa_type=PackedPayload)
    hash: str = Field(sa_type=RawHash)


class AuditHead(SQLModel, table=True):
    """The chain's last link, one row, locked by each writer so the chain stays a single line."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    hash: str = Field(sa_type=RawHash)  # as the event's, which a trigger copies here (0023)
    at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request sent with an Idempotency-Key, replayed for retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_type=Text)
    created_at: dt.datetime = time_column()


class BudgetLine(SQLModel, table=True):
    """A line of the budget an application came with; the decision approves it."""

    __tablename__ = "budget_line"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    line: str
    category: str
    amount: Decimal = money_column()


class ReportLine(SQLModel, table=True):
    """A cost line of a final report with what of it counts, and why not the rest."""

    __tablename__ = "report_line"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    report_no: int = Field(description="1 for the first report, 2 after a returned one, ...")
    line: str
    category: str
    amount: Decimal = money_column()
    eligible: Decimal = money_column()
    reason: str | None = None


class Commitment(SQLModel, table=True):
    """One fiscal year's part of a decision."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    decision_id: int = Field(foreign_key="decision.id")
    fiscal_year: int
    amount: Decimal = money_column()


class Disbursement(SQLModel, table=True):
    """A payment: the one record of what was paid, each against a tranche (none: before 0019)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    amount: Decimal = money_column()
    kind: str = Field(
        description="advance (with the decision), payout (after the report), registered"
    )
    paid_at: dt.datetime = time_column()
    tranche_id: int | None = Field(default=None, foreign_key="tranche.id", index=True)
    paid_on: dt.date | None = Field(default=None, description="the value date a person registered")


class Attachment(SQLModel, table=True):
    """A file on a case, stored under the data folder by its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    kind: str = Field(description="application_form, budget, report or auditor_statement")
    filename: str
    content_type: str
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    uploaded_at: dt.datetime = time_column()
    event_seq: int | None = Field(default=None, sa_type=BigInteger)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds `id`, forms carry `csrf_token`."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id")
    token_id: int | None = Field(default=None, foreign_key="api_token.id")
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime = time_column()
    expires_at: dt.datetime = time_column()
    last_seen_at: dt.datetime | None = time_column(nullable=True)
    # Opened through the agency's provider: who it said signed in, how strongly, and the ID
    # token that signs them out there too. None for a session opened with an API token.
    issuer: str | None = None
    subject: str | None = None
    acr: str | None = None
    amr: str | None = None
    id_token: str | None = Field(default=None, sa_type=Text)


# The tables of the deadline keeper live beside these; importing them here puts the whole schema
# on SQLModel.metadata with one import (alembic's env.py does that).
import services.storage.amendments  # noqa: E402
import services.storage.checklists  # noqa: E402
import services.storage.identities  # noqa: E402
import services.storage.keeping  # noqa: E402
import services.storage.outbox  # noqa: E402
import services.storage.privacy  # noqa: E402
import services.storage.registry_tables  # noqa: E402
import services.storage.tranche_tables  # noqa: E402, F401
