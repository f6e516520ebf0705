"""What a transition's effects ask to keep beside the case's own row: decisions, commitments,
payments, budgets, assessed reports and deadlines; and the deadlines a move makes pointless."""

from __future__ import annotations

import datetime as dt

from services.cases.tranches import allocate
from services.storage.models import (
    BudgetLine,
    Case,
    Commitment,
    Decision,
    Disbursement,
    ReportLine,
)
from services.storage.tranche_tables import Tranche
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.case import (
    BudgetRecorded,
    CommitmentsMade,
    DeadlineScheduled,
    DecisionConfirmed,
    DecisionProposed,
    DecisionWithdrawn,
    Disbursed,
    Record,
    ReportAssessed,
    TranchesPlanned,
)
from workflow.engine import Firing
from workflow.lifecycle import Lifecycle
from workflow.statuses import DeadlineStatus, DecisionStatus, TrancheStatus
from workflow.tranches import met_by


def store_records(
    uow: UnitOfWork,
    case: Case,
    records: list[Record],
    actor: Actor,
    now: dt.datetime,
    programme_version: int | None,
    transition: str | None = None,
) -> None:
    """Keep what the effects asked for, each pinned to the programme version that decided it;
    first release the tranches whose condition `transition` meets."""
    assert case.id is not None
    decision: Decision | None = None
    if transition is not None and (met := met_by(transition)):
        uow.tranches.release(case.id, met, now)
    # A step's new deadlines go in one INSERT: a firing that opens a state schedules several.
    uow.deadlines.schedule(
        {
            "case_id": case.id,
            "programme_id": case.programme_id,
            "call_code": case.call_code,
            "kind": record.kind,
            "fires": record.fires,
            "due_at": record.due_at,
            "time_zone": record.time_zone,
            "rule": record.rule,
            "created_at": now,
            "programme_version": programme_version,
        }
        for record in records
        if isinstance(record, DeadlineScheduled)
    )
    for record in records:
        if isinstance(record, DeadlineScheduled):
            continue  # scheduled above
        if isinstance(record, DecisionProposed):
            uow.finances.add(
                Decision(
                    case_id=case.id,
                    status=DecisionStatus.proposed,
                    amount=record.amount,
                    period_start=record.period_start,
                    period_end=record.period_end,
                    conditions=record.conditions,
                    proposed_by=actor.user_id,
                    proposed_at=now,
                    programme_version=programme_version,
                )
            )
        elif isinstance(record, DecisionConfirmed | DecisionWithdrawn):
            decision = uow.finances.pending_decision(case.id)
            if decision is None:
                continue
            decision.settled_by, decision.settled_at = actor.user_id, now
            if isinstance(record, DecisionConfirmed):
                decision.status = DecisionStatus.confirmed
                uow.programmes.commit_amount(case.programme_id, decision.amount)
            else:
                decision.status = DecisionStatus.withdrawn
                decision.withdrawn_reason = record.reason
            uow.finances.save_decision(decision)  # its id, for the commitments that follow
        elif isinstance(record, CommitmentsMade):
            assert decision is not None and decision.id is not None, (
                "commitments follow the decision they split"
            )
            uow.finances.add(
                *(
                    Commitment(
                        case_id=case.id, decision_id=decision.id, fiscal_year=year, amount=amount
                    )
                    for year, amount in record.by_year
                )
            )
        elif isinstance(record, TranchesPlanned):
            assert decision is not None and decision.id is not None, (
                "tranches follow the decision they split"
            )
            first = uow.tranches.last_number(case.id) + 1
            uow.tranches.add(
                Tranche(
                    case_id=case.id,
                    decision_id=decision.id,
                    number=first + i,
                    amount=t.amount,
                    condition=t.condition,
                    status=TrancheStatus.released
                    if t.condition in record.met
                    else TrancheStatus.due,
                    released_at=now if t.condition in record.met else None,
                )
                for i, t in enumerate(record.tranches)
            )
        elif isinstance(record, Disbursed):
            # The lifecycle's own payment, against the tranches released so far, in order.
            for tranche, part in allocate(uow, case, record.amount):
                payment = Disbursement(case_id=case.id, amount=part, kind=record.kind, paid_at=now)
                if tranche is None:  # a decision from before 0019 has no tranches
                    uow.finances.add(payment)
                else:
                    uow.tranches.pay(tranche, payment)
        elif isinstance(record, BudgetRecorded):
            uow.finances.replace_budget(  # a new application brings a new budget
                case.id,
                [
                    BudgetLine(case_id=case.id, line=b.line, category=b.category, amount=b.amount)
                    for b in record.lines
                ],
            )
        elif isinstance(record, ReportAssessed):
            report_no = uow.finances.latest_report_no(case.id) + 1
            uow.finances.add(
                *(
                    ReportLine(
                        case_id=case.id,
                        report_no=report_no,
                        line=a.line,
                        category=a.category,
                        amount=a.amount,
                        eligible=a.eligible,
                        reason=a.reason,
                    )
                    for a in record.lines
                )
            )


def cancel_obsolete_deadlines(
    uow: UnitOfWork, lifecycle: Lifecycle, case: Case, firing: Firing, now: dt.datetime
) -> None:
    """Cancel the case's pending deadlines that mean nothing in the state `firing` moves it to.

    Rows a scheduler holds are skipped rather than waited for; that scheduler finds the deadline
    obsolete itself once it gets the case, and cancels it with the same kind of reason.
    """
    assert case.id is not None

    def obsolete(name: str) -> bool:
        kind = lifecycle.deadlines.get(name)
        return kind is None or not lifecycle.deadline_applies(kind, firing.to_state)

    for deadline in uow.deadlines.pending_of_case(case.id, obsolete):
        deadline.status = DeadlineStatus.cancelled
        deadline.fired_at = now
        deadline.outcome = (
            f"no longer applies: {firing.transition.name} moved the case to {firing.to_state}"
        )
        uow.deadlines.save(deadline)
