"""Queries on a case's money: decisions, yearly commitments, disbursements, budget and reports."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.storage.cases import PENDING_DECISION
from services.storage.models import (
    BudgetLine,
    Case,
    Commitment,
    Decision,
    Disbursement,
    Organisation,
    ReportLine,
)
from workflow.statuses import DecisionStatus


class FinanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def pending_decision(self, case_id: int) -> Decision | None:
        """The proposed decision, as the locked case brought it if it did."""
        if (PENDING_DECISION, case_id) in self.session.info:
            known: Decision | None = self.session.info[PENDING_DECISION, case_id]
            return known if known is None or known.status == DecisionStatus.proposed else None
        query = select(Decision).where(
            Decision.case_id == case_id, Decision.status == DecisionStatus.proposed
        )
        return self.session.exec(query).first()

    def add(self, *rows: Decision | Commitment | Disbursement | BudgetLine | ReportLine) -> None:
        for row in rows:
            if isinstance(row, Decision):
                self.session.info.pop((PENDING_DECISION, row.case_id), None)
        self.session.add_all(rows)

    def save_decision(self, decision: Decision) -> Decision:
        """Store the decision; it has its id afterwards."""
        self.session.info.pop((PENDING_DECISION, decision.case_id), None)
        self.session.add(decision)
        self.session.flush()
        return decision

    def replace_budget(self, case_id: int, lines: Iterable[BudgetLine]) -> None:
        for old in self.budget(case_id):
            self.session.delete(old)
        self.session.add_all(lines)

    def budget(self, case_id: int) -> list[BudgetLine]:
        query = select(BudgetLine).where(BudgetLine.case_id == case_id).order_by(col(BudgetLine.id))
        return list(self.session.exec(query).all())

    def latest_report_no(self, case_id: int) -> int:
        query = select(func.max(ReportLine.report_no)).where(ReportLine.case_id == case_id)
        return int(self.session.exec(query).one() or 0)

    def report(self, case_id: int, report_no: int) -> list[ReportLine]:
        query = (
            select(ReportLine)
            .where(ReportLine.case_id == case_id, ReportLine.report_no == report_no)
            .order_by(col(ReportLine.id))
        )
        return list(self.session.exec(query).all())

    def decisions(self, case_id: int) -> list[Decision]:
        query = select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.id))
        return list(self.session.exec(query).all())

    def commitments(self, case_id: int) -> list[Commitment]:
        query = (
            select(Commitment)
            .where(Commitment.case_id == case_id)
            .order_by(col(Commitment.fiscal_year))
        )
        return list(self.session.exec(query).all())

    def disbursements(self, case_id: int) -> list[Disbursement]:
        query = (
            select(Disbursement)
            .where(Disbursement.case_id == case_id)
            .order_by(col(Disbursement.id))
        )
        return list(self.session.exec(query).all())

    def confirmed(self) -> list[tuple[Decision, Case, Organisation]]:
        """Every confirmed decision with its case and lead applicant, oldest first."""
        query = (
            select(Decision, Case, Organisation)
            .join(Case, col(Case.id) == Decision.case_id)
            .join(Organisation, col(Organisation.id) == Case.organisation_id)
            .where(Decision.status == DecisionStatus.confirmed)
            .order_by(col(Decision.settled_at), col(Decision.id))
        )
        return [(d, c, o) for d, c, o in self.session.exec(query).all()]
