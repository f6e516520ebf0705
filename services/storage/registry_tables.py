"""The registry's tables: the counters numbers are drawn from, and the entries of the diarium."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.storage.models import time_column


class RegistryCounter(SQLModel, table=True):
    """The last number drawn in a series and year (`case_number` 0), or the last document number
    of one case (`case_number` N: the documents of `SERIES YEAR/N`). Each is locked and
    incremented in the transaction that registers, so a rolled-back registration draws nothing
    and two never draw the same."""

    __tablename__ = "registry_counter"
    __table_args__ = (
        UniqueConstraint("series", "year", "case_number", name="uq_registry_counter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(max_length=16)
    year: int
    case_number: int = Field(description="0: the series' case numbers; N: case N's documents")
    last_number: int = 0


class RegistryEntry(SQLModel, table=True):
    """One line of the diarium: a case as it was opened, or a document that came in or went out."""

    __tablename__ = "registry_entry"
    __table_args__ = (
        UniqueConstraint("series", "year", "number", "document", name="uq_registry_entry"),
        Index("ix_registry_entry_case", "case_id", "document"),
        Index("ix_registry_entry_registered_at_id", "registered_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(max_length=16)
    year: int
    number: int = Field(description="the case's number in its series and year")
    document: int = Field(description="0: the case itself; 1, 2, ...: its documents in order")
    registry_number: str = Field(max_length=40, description="as printed: SFU 2026/0123-2")
    case_id: int = Field(foreign_key="grant_case.id")
    direction: str = Field(max_length=3, description="in or out")
    kind: str = Field(description="case, an attachment kind, or an outgoing decision's kind")
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id")
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    transition: str | None = Field(default=None, description="the transition that sent it")
    title: str = Field(sa_type=Text)
    registered_at: dt.datetime = time_column()
    event_seq: int | None = Field(default=None, sa_type=BigInteger)
