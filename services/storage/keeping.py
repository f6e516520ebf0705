"""The tables of the deadline keeper: deadlines and their extensions, the notification outbox,
schedulers' heartbeats and incidents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Text, text
from sqlmodel import Field, SQLModel

from services.storage.models import time_column

# A deadline of the service itself (no case, no programme) that is still to come.
SERVICE_JOB = "case_id IS NULL AND programme_id IS NULL AND status = 'pending'"


class Deadline(SQLModel, table=True):
    """A date the service keeps by itself; the scheduler claims each pending one exactly once."""

    __table_args__ = (
        # The sweep's query: pending deadlines by due time, oldest first, from an index.
        Index("ix_deadline_status_due_at", "status", "due_at"),
        Index("ix_deadline_case_status", "case_id", "status"),
        Index(
            "uq_deadline_round",
            "programme_id",
            "call_code",
            "kind",
            unique=True,
            sqlite_where=text("case_id IS NULL"),
            postgresql_where=text("case_id IS NULL"),
        ),
        # Failed deadlines waiting for their next attempt, soonest first: only the few that failed.
        Index(
            "ix_deadline_failing_retry_at",
            "retry_at",
            sqlite_where=text("status = 'failing'"),
            postgresql_where=text("status = 'failing'"),
        ),
        # The service's own jobs are planned once: one pending deadline of each kind.
        Index(
            "uq_deadline_service_job",
            "kind",
            unique=True,
            sqlite_where=text(SERVICE_JOB),
            postgresql_where=text(SERVICE_JOB),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    call_code: str | None = None
    kind: str
    fires: str | None = Field(default=None, description="the transition it fires; none for a flag")
    due_at: dt.datetime = time_column()
    time_zone: str
    rule: str = Field(description="<programme>#deadlines.<kind>: the configuration it came from")
    status: str = Field(default="pending", description="pending, fired or cancelled")
    created_at: dt.datetime = time_column()
    fired_at: dt.datetime | None = time_column(nullable=True)
    fired_by: str | None = Field(
        default=None, description="the scheduler that fired or cancelled it"
    )
    outcome: str | None = Field(default=None, description="why it was cancelled, or what it did")
    event_seq: int | None = Field(default=None, sa_type=BigInteger)
    attempts: int = Field(default=0, description="failed attempts to fire it")
    retry_at: dt.datetime | None = time_column(nullable=True)
    programme_version: int | None = Field(
        default=None, description="the programme version it was made under; none before 0.2"
    )


class DeadlineExtension(SQLModel, table=True):
    """A deadline moved for a whole round (`call_code`) or one case (`case_id`): what holds
    instead of the programme file's time, who decided it and why. The latest one holds."""

    __tablename__ = "deadline_extension"
    __table_args__ = (
        Index("ix_deadline_extension_where", "programme_id", "kind", "call_code", "case_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    call_code: str | None = None
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    kind: str
    was_at: dt.datetime | None = time_column(nullable=True)
    due_at: dt.datetime = time_column()
    reason: str = Field(sa_type=Text)
    actor_id: int | None = None
    actor_name: str
    created_at: dt.datetime = time_column()
    event_seq: int | None = Field(default=None, sa_type=BigInteger)


class Incident(SQLModel, table=True):
    """Something that failed and waits for a person: a deadline that could not fire, or a
    programme file that could not be loaded. Everything else went on without it."""

    __table_args__ = (
        Index("ix_incident_status", "status"),
        Index(
            "uq_incident_open",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(description="deadline, programme_file or mail")
    subject: str = Field(description="what failed: deadline:<id>, or the programme file's name")
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    mail_id: int | None = Field(default=None, foreign_key="mail.id")
    error: str = Field(sa_type=Text)
    attempts: int = 1
    first_seen: dt.datetime = time_column()
    last_seen: dt.datetime = time_column()
    status: str = Field(default="open", description="open or resolved")
    resolution: str | None = Field(default=None, sa_type=Text)
    resolved_by: int | None = Field(default=None, foreign_key="app_user.id")
    resolved_at: dt.datetime | None = time_column(nullable=True)


class Notification(SQLModel, table=True):
    """The outbox: reminders and flags waiting for someone to read (or a mailer to send) them."""

    __table_args__ = (
        Index("ix_notification_case", "case_id"),
        Index("ix_notification_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    programme_id: int = Field(foreign_key="programme.id")
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    kind: str
    audience: str = Field(description="the role it is for")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    subject: str
    body: str = Field(sa_type=Text)
    created_at: dt.datetime = time_column()
    sent_at: dt.datetime | None = time_column(nullable=True)


class SchedulerHeartbeat(SQLModel, table=True):
    """Each scheduler's last sweep, so a stopped one is noticed, not discovered at audit time."""

    __tablename__ = "scheduler_heartbeat"

    worker: str = Field(primary_key=True)
    started_at: dt.datetime = time_column()
    last_sweep_started_at: dt.datetime | None = time_column(nullable=True)
    last_sweep_completed_at: dt.datetime | None = time_column(nullable=True)
    fired_total: int = Field(default=0, sa_type=BigInteger)
