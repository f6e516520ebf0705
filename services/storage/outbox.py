"""The mail outbox: every message the service owes someone, from queued to sent (or why not)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Text
from sqlmodel import Field, SQLModel

from services.storage.models import time_column


class Mail(SQLModel, table=True):
    """One message to one address, written in the transaction of what it tells, so a message is
    owed exactly when the change it reports committed. Its id makes its Message-ID, so a retry
    is recognisable as the same message."""

    __table_args__ = (
        # The sender's query: due messages of one status, soonest first.
        Index("ix_mail_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_mail_case", "case_id"),
        Index("ix_mail_user_status", "user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="grant_case.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    event_seq: int | None = Field(default=None, sa_type=BigInteger)
    about: str = Field(description="the transition or deadline kind it tells of, or `digest`")
    category: str = Field(description="decision, event or reminder")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    to_address: str
    language: str = Field(max_length=2)
    subject: str
    text_body: str = Field(sa_type=Text)
    html_body: str = Field(sa_type=Text)
    status: str = Field(description="see workflow.statuses.MailStatus")
    attempts: int = 0
    next_attempt_at: dt.datetime | None = time_column(nullable=True)
    claimed_at: dt.datetime | None = time_column(nullable=True)
    claimed_by: str | None = None
    sent_at: dt.datetime | None = time_column(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    digest_id: int | None = Field(default=None, foreign_key="mail.id")
    created_at: dt.datetime = time_column()
