"""Change requests after a decision: the lead applicant asks, a caseworker assesses, an approver
decides (or the programme approves on submission); an approved one makes a new decision version
(services/amendment_effects.py does what it changes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services import audit
from services.amendment_effects import apply_amendment
from services.cases.visibility import visible_case
from services.errors import Conflict, InvalidRequest, NotFound
from services.policy import require, require_on_case
from services.programmes import ProgrammeRegistry
from services.storage.amendments import Amendment
from services.storage.models import Case, Decision
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.amendments import (
    AmendmentKind,
    AmendmentRule,
    AmendmentStatus,
    amendment_rules,
    approved_on_submission,
    months_between,
)
from workflow.clock import Clock
from workflow.personal import Personal
from workflow.statuses import EventKind


class AmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: AmendmentKind
    reason: str = Field(min_length=3, max_length=2000, description="why the change is asked")
    period_end: dt.date | None = Field(default=None, description="extension: the new end")
    from_line: str | None = Field(default=None, max_length=200, description="reallocation")
    to_line: str | None = Field(default=None, max_length=200, description="reallocation")
    amount: Decimal | None = Field(default=None, gt=0, max_digits=15, decimal_places=2)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> AmendmentRequest:
        needs = {
            AmendmentKind.extension: ("period_end",),
            AmendmentKind.reallocation: ("from_line", "to_line", "amount"),
            AmendmentKind.contact: ("email",),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind.value} request names {', '.join(missing)}")
        return self


class Assessment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    recommendation: str = Field(pattern="^(approve|refuse)$")
    note: str = Field(min_length=3, max_length=2000)


class Ruling(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reason: str = Field(min_length=3, max_length=2000)


class AmendmentPublic(BaseModel):
    id: int
    case_id: int
    kind: str
    status: str
    request: dict[str, Any]
    on_submission: bool
    decision_id: int
    new_decision_id: int | None
    requested_at: dt.datetime
    assessed_at: dt.datetime | None
    recommendation: str | None
    decided_at: dt.datetime | None

    @classmethod
    def of(cls, row: Amendment) -> AmendmentPublic:
        # Stored as JSON text: read back as what was asked.
        return cls.model_validate({**row.model_dump(), "request": json.loads(row.request)})


class Amendments:
    def __init__(self, clock: Clock, programmes: ProgrammeRegistry) -> None:
        self.clock = clock
        self.programmes = programmes

    def listed(self, uow: UnitOfWork, actor: Actor, case_id: int) -> list[AmendmentPublic]:
        visible_case(uow, actor, case_id)
        return [AmendmentPublic.of(a) for a in uow.amendments.of_case(case_id)]

    def request(
        self, uow: UnitOfWork, actor: Actor, case_id: int, asked: AmendmentRequest
    ) -> AmendmentPublic:
        """The lead applicant's request (or a caseworker's, on their behalf)."""
        case = visible_case(uow, actor, case_id, lock=True)
        require_on_case(uow, actor, Action.amendment_request, case)
        rule, decision = self._rule(case, asked.kind), self._decision(uow, case)
        moved, line = self._check(uow, case, decision, rule, asked)
        now = self.clock.now()
        on_submission = approved_on_submission(rule, moved, line)
        request = asked.model_dump(mode="json", exclude_none=True, exclude={"reason"})
        row = Amendment(
            case_id=case_id,
            decision_id=decision.id or 0,
            kind=asked.kind,
            request=json.dumps(request, sort_keys=True),
            status=AmendmentStatus.requested,
            requested_by=actor.user_id,
            requested_at=now,
            on_submission=on_submission,
        )
        uow.amendments.save(row)
        self._record(uow, actor, case, "amendment_requested", row, asked.reason, request=request)
        if on_submission:
            source = rule.source
            apply_amendment(uow, self.programmes, actor, case, row, decision, now, source)
        return AmendmentPublic.of(row)

    def assess(
        self, uow: UnitOfWork, actor: Actor, amendment_id: int, assessment: Assessment
    ) -> AmendmentPublic:
        row, case = self._waiting(uow, actor, Action.amendment_assess, amendment_id)
        self._expect(row, AmendmentStatus.requested)
        row.status, row.assessed_by = AmendmentStatus.assessed, actor.user_id
        row.assessed_at, row.recommendation = self.clock.now(), assessment.recommendation
        uow.amendments.save(row)
        self._record(
            uow, actor, case, "amendment_assessed", row, assessment.note,
            recommendation=assessment.recommendation,
        )  # fmt: skip
        return AmendmentPublic.of(row)

    def decide(
        self, uow: UnitOfWork, actor: Actor, amendment_id: int, ruling: Ruling
    ) -> AmendmentPublic:
        """The approver's decision, after a caseworker's assessment and never by the same
        person (four eyes); the event names both."""
        row, case = self._waiting(uow, actor, Action.amendment_decide, amendment_id)
        self._expect(row, AmendmentStatus.assessed)
        if actor.user_id is not None and actor.user_id in (row.assessed_by, row.requested_by):
            raise Conflict("the person who asked for or assessed a change does not also decide it")
        assessor = uow.people.user(row.assessed_by) if row.assessed_by else None
        both = {
            "assessed_by": row.assessed_by,
            "assessed_by_name": Personal(assessor.id, assessor.name) if assessor and assessor.id else None,
            "recommendation": row.recommendation,
        }  # fmt: skip
        now = self.clock.now()
        row.decided_by, row.decided_at = actor.user_id, now
        if not ruling.approve:
            row.status = AmendmentStatus.refused
            uow.amendments.save(row)
            self._record(uow, actor, case, "amendment_refused", row, ruling.reason, **both)
            return AmendmentPublic.of(row)
        decision = self._decision(uow, case)
        if decision.id != row.decision_id:
            raise Conflict("the decision changed since the request: it is asked again")
        apply_amendment(uow, self.programmes, actor, case, row, decision, now, ruling.reason, both)
        return AmendmentPublic.of(row)

    def _rule(self, case: Case, kind: AmendmentKind) -> AmendmentRule:
        config = self.programmes.require(case.programme_id)
        rule = config.amendments.get(kind)
        if rule is None:
            raise Conflict(f"{config.code} takes no {kind.value} requests", field="kind")
        if case.state not in amendment_rules().open_in:
            raise Conflict(
                f"case {case.id} is {case.state}: change requests are taken while the grant "
                f"runs ({', '.join(sorted(amendment_rules().open_in))})"
            )
        return rule

    def _decision(self, uow: UnitOfWork, case: Case) -> Decision:
        assert case.id is not None
        decision = uow.amendments.current_decision(case.id)
        if decision is None:
            raise Conflict(f"case {case.id} has no confirmed decision to change")
        return decision

    def _check(
        self,
        uow: UnitOfWork,
        case: Case,
        decision: Decision,
        rule: AmendmentRule,
        asked: AmendmentRequest,
    ) -> tuple[Decimal | None, Decimal | None]:
        """Refuse a request that cannot be granted as asked; for a reallocation, the amount
        moved and the line it leaves, which decide whether it needs an approver."""
        assert case.id is not None
        if asked.kind is AmendmentKind.extension:
            assert asked.period_end is not None
            if asked.period_end <= decision.period_end:
                raise InvalidRequest(
                    f"an extension ends after {decision.period_end}", field="period_end"
                )
            if (
                rule.max_months
                and months_between(decision.period_end, asked.period_end) > rule.max_months
            ):
                raise InvalidRequest(
                    f"an extension is at most {rule.max_months} months", field="period_end"
                )  # fmt: skip
        if asked.kind is AmendmentKind.reallocation:
            leaves = uow.amendments.budget_line(case.id, asked.from_line or "")
            if leaves is None or uow.amendments.budget_line(case.id, asked.to_line or "") is None:
                raise InvalidRequest(
                    "both lines are lines of the approved budget", field="from_line"
                )
            if asked.from_line == asked.to_line or (asked.amount or 0) > leaves.amount:
                raise InvalidRequest(
                    f"at most {leaves.amount} can leave {leaves.line}", field="amount"
                )
            return asked.amount, leaves.amount
        return None, None

    def _waiting(
        self, uow: UnitOfWork, actor: Actor, action: Action, amendment_id: int
    ) -> tuple[Amendment, Case]:
        """The request, once the actor's role may act on requests at all and on its case."""
        require(actor, action)
        row = uow.amendments.get(amendment_id, lock=True)
        if row is None:
            raise NotFound(f"there is no change request {amendment_id}")
        case = visible_case(uow, actor, row.case_id, lock=True)
        require_on_case(uow, actor, action, case)
        return row, case

    def _expect(self, row: Amendment, status: AmendmentStatus) -> None:
        if row.status != status:
            raise Conflict(f"change request {row.id} is {row.status}, not {status.value}")

    def _record(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case: Case,
        what: str,
        row: Amendment,
        reason: str,
        **details: Any,
    ) -> None:
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=self.clock.now(),
            case_id=case.id,
            transition=what,
            reason=reason,
            details={"amendment": row.id, "kind": row.kind, **details},
        )
