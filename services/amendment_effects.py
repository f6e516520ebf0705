"""What an approved change request does: a new version of the decision (the old one kept,
superseded), its commitments split by fiscal year again, the budget or address it changes, and
the case's deadlines that hang on the period end moved; all in one audited step."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from services import audit
from services.programmes import ProgrammeRegistry
from services.storage.amendments import Amendment
from services.storage.models import Case, Commitment, Decision
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.allocation import split_by_year
from workflow.amendments import AmendmentKind, AmendmentStatus
from workflow.audit_chain import format_time
from workflow.deadlines import rule_due
from workflow.programmes import ProgrammeConfig
from workflow.read_model import updates
from workflow.statuses import DecisionStatus, EventKind


def apply_amendment(
    uow: UnitOfWork,
    programmes: ProgrammeRegistry,
    actor: Actor,
    case: Case,
    row: Amendment,
    decision: Decision,
    now: dt.datetime,
    reason: str,
    decided: dict[str, Any] | None = None,
) -> Decision:
    """Approve `row`: by `actor` with `reason` after an assessment (`decided` names who
    assessed), or on submission, where `reason` is the programme rule that allows it."""
    assert case.id is not None and decision.id is not None
    asked = json.loads(row.request)
    config = programmes.require(case.programme_id)
    new = Decision(
        case_id=case.id,
        status=DecisionStatus.confirmed,
        amount=decision.amount,
        period_start=decision.period_start,
        period_end=decision.period_end,
        conditions=decision.conditions,
        proposed_by=row.requested_by,
        proposed_at=row.requested_at,
        settled_by=actor.user_id,
        settled_at=now,
        programme_version=decision.programme_version,
        version=decision.version + 1,
        supersedes_id=decision.id,
        amendment_id=row.id,
    )
    changes: dict[str, Any] = {}
    moved: list[dict[str, Any]] = []
    kind = AmendmentKind(row.kind)
    if kind is AmendmentKind.extension:
        new.period_end = dt.date.fromisoformat(asked["period_end"])
        changes["period_end"] = new.period_end
        moved = _move_deadlines(uow, config, case.id, new.period_end)
    elif kind is AmendmentKind.reallocation:
        _reallocate(uow, case.id, asked["from_line"], asked["to_line"], Decimal(asked["amount"]))
    elif kind is AmendmentKind.contact:
        lead = uow.organisations.get(case.organisation_id)
        assert lead is not None
        lead.email = asked["email"]
        uow.organisations.save(lead)
    decision.status = DecisionStatus.superseded
    uow.amendments.save(decision)
    uow.amendments.save(new)
    by_year = split_by_year(new.amount, new.period_start, new.period_end)
    uow.amendments.replace_commitments(
        decision,
        new,
        [Commitment(case_id=case.id, decision_id=0, fiscal_year=y, amount=a) for y, a in by_year],
    )
    row.status, row.new_decision_id = AmendmentStatus.approved, new.id
    row.decided_by, row.decided_at = actor.user_id, now
    uow.amendments.save(row)
    on_submission = decided is None
    event = audit.record(
        uow,
        kind=EventKind.amended,
        actor=actor,
        now=now,
        case_id=case.id,
        transition="amendment_approved",
        from_state=case.state,
        to_state=case.state,
        case_version=case.version + 1,
        changes=changes,
        reason=None if on_submission else reason,
        details={
            "amendment": row.id,
            "kind": row.kind,
            "request": asked,
            "decision": {"was": decision.id, "now": new.id, "version": new.version},
            "commitments": {str(year): amount for year, amount in by_year},
            "deadlines": moved,
            **({"approved_on_submission": reason} if on_submission else decided or {}),
        },
    )
    uow.cases.apply(case, updates(event.body))
    return new


def _reallocate(uow: UnitOfWork, case_id: int, leaves: str, joins: str, amount: Decimal) -> None:
    source, target = (
        uow.amendments.budget_line(case_id, leaves),
        uow.amendments.budget_line(case_id, joins),
    )
    assert source is not None and target is not None  # checked when it was asked
    source.amount -= amount
    target.amount += amount
    uow.amendments.save(source)
    uow.amendments.save(target)


def _move_deadlines(
    uow: UnitOfWork, config: ProgrammeConfig, case_id: int, period_end: dt.date
) -> list[dict[str, Any]]:
    """The case's pending deadlines whose rule hangs on the period end (the end itself, the
    final report after it, the reminders before that), each to where the rule puts it now."""
    moved = []
    for deadline in uow.deadlines.pending_of_case(case_id):
        due = rule_due(config, deadline.kind, {"period_end": period_end})
        if due is None or due == deadline.due_at:
            continue
        assert deadline.id is not None
        moved.append(
            {
                "deadline_id": deadline.id,
                "kind": deadline.kind,
                "was": format_time(deadline.due_at),
                "to": format_time(due),
            }
        )
        deadline.due_at = due
        uow.deadlines.save(deadline)
    return moved
