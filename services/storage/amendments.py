"""Change requests after a decision (amendments), and the queries on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Text, delete
from sqlmodel import Field, Session, SQLModel, col, select

from services.storage.models import BudgetLine, Commitment, Decision, time_column
from workflow.statuses import DecisionStatus


class Amendment(SQLModel, table=True):
    """One change request: what was asked, who assessed it and who decided, and the decision
    version it made if approved."""

    __table_args__ = (Index("ix_amendment_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="grant_case.id")
    decision_id: int = Field(foreign_key="decision.id", description="the version it would change")
    kind: str = Field(description="extension, reallocation or contact")
    request: str = Field(sa_type=Text, description="what was asked, as JSON")
    status: str = Field(description="requested, assessed, approved or refused")
    requested_by: int | None = None
    requested_at: dt.datetime = time_column()
    assessed_by: int | None = None
    assessed_at: dt.datetime | None = time_column(nullable=True)
    recommendation: str | None = Field(default=None, description="approve or refuse")
    decided_by: int | None = None
    decided_at: dt.datetime | None = time_column(nullable=True)
    on_submission: bool = Field(default=False, description="approved as made, by the programme")
    new_decision_id: int | None = Field(default=None, foreign_key="decision.id")


class AmendmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, amendment_id: int, *, lock: bool = False) -> Amendment | None:
        query = select(Amendment).where(Amendment.id == amendment_id)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def of_case(self, case_id: int) -> list[Amendment]:
        query = select(Amendment).where(Amendment.case_id == case_id)
        return list(self.session.exec(query.order_by(col(Amendment.id))).all())

    def save(self, row: Amendment | Decision | BudgetLine) -> None:
        self.session.add(row)
        self.session.flush()

    def current_decision(self, case_id: int) -> Decision | None:
        """The confirmed decision in force: the latest version."""
        query = (
            select(Decision)
            .where(Decision.case_id == case_id, Decision.status == DecisionStatus.confirmed)
            .order_by(col(Decision.id).desc())
        )
        return self.session.exec(query).first()

    def budget_line(self, case_id: int, line: str) -> BudgetLine | None:
        query = select(BudgetLine).where(BudgetLine.case_id == case_id, BudgetLine.line == line)
        return self.session.exec(query).first()

    def replace_commitments(self, old: Decision, new: Decision, by_year: list[Commitment]) -> None:
        """The fiscal years' commitments of `old` become those of `new`, split again."""
        self.session.execute(delete(Commitment).where(col(Commitment.decision_id) == old.id))
        for row in by_year:
            row.decision_id = new.id or 0
            self.session.add(row)
        self.session.flush()
