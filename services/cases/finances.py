"""A case's money as recorded: decisions, yearly commitments, payments, budget and the last report."""

from __future__ import annotations

from typing import Any

from services.cases.reading import CaseReading
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor


def finances(uow: UnitOfWork, reading: CaseReading, actor: Actor, case_id: int) -> dict[str, Any]:
    case = reading.get(uow, actor, case_id)  # 404 unless the actor may see it
    latest = uow.finances.latest_report_no(case_id)
    return {
        "case_id": case_id,
        "currency": case.currency,
        "decisions": [
            {
                "id": d.id,
                "status": d.status,
                "amount": d.amount,
                "period_start": d.period_start,
                "period_end": d.period_end,
                "conditions": d.conditions,
                "proposed_by": d.proposed_by,
                "proposed_at": d.proposed_at,
                "settled_by": d.settled_by,
                "settled_at": d.settled_at,
                "withdrawn_reason": d.withdrawn_reason,
            }
            for d in uow.finances.decisions(case_id)
        ],
        "commitments": [
            {"decision_id": c.decision_id, "fiscal_year": c.fiscal_year, "amount": c.amount}
            for c in uow.finances.commitments(case_id)
        ],
        "disbursements": [
            {"amount": p.amount, "kind": p.kind, "paid_at": p.paid_at}
            for p in uow.finances.disbursements(case_id)
        ],
        "budget": [
            {"line": b.line, "category": b.category, "amount": b.amount}
            for b in uow.finances.budget(case_id)
        ],
        "report": {
            "report_no": latest or None,
            "lines": [
                {
                    "line": r.line,
                    "category": r.category,
                    "amount": r.amount,
                    "eligible": r.eligible,
                    "reason": r.reason,
                }
                for r in uow.finances.report(case_id, latest)
            ],
        },
    }
