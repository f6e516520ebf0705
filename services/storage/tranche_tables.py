"""The tranches a confirmed decision is paid in (issue 18); the payments against them are the
disbursement rows that name one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from services.storage.models import money_column, time_column


class Tranche(SQLModel, table=True):
    """Part of a decision, payable once its condition is met (states/tranches.toml). `paid` is
    the sum of the disbursements against it, kept by the one method that adds them."""

    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_tranche_case_number"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id", index=True)
    decision_id: int = Field(foreign_key="decision.id")
    number: int = Field(description="1, 2, ... within the case, across its decisions")
    amount: Decimal = money_column()
    condition: str = Field(description="decision, interim_report or final_report")
    status: str = Field(description="due or released")
    released_at: dt.datetime | None = time_column(nullable=True)
    paid: Decimal = money_column()
