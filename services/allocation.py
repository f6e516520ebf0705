"""Sharing a pooled call's money after it closes (seeds/002): a preview, then every share proposed
as a decision in one unit of work, each through its own transition (and four eyes to confirm)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.cases.transitions import CaseTransitions
from services.errors import Conflict, NotFound
from services.policy import require
from services.programmes import ProgrammeRegistry
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.allocation import Application, allocate
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.money import Money
from workflow.programmes import Call, ProgrammeConfig

# The transition each share is proposed by; its cases are those in a state it leaves from.
PROPOSE = "propose_implementation_grant"


class AllocationTerms(BaseModel):
    """What every decision of an allocation carries besides its amount (seeds/001, seeds/002)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    period_start: dt.date
    period_end: dt.date
    conditions: str = Field(default="", max_length=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> AllocationTerms:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class Allocations:
    def __init__(
        self,
        catalogue: Catalogue,
        clock: Clock,
        programmes: ProgrammeRegistry,
        transitions: CaseTransitions,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.programmes = programmes
        self.transitions = transitions
        # Checked once, at start-up: a lifecycle without the transition cannot allocate at all.
        propose = catalogue.lifecycle.any_transition(PROPOSE)
        if propose is None:
            raise ValueError(f"allocation proposes by {PROPOSE!r}, which the lifecycle lacks")
        self.applied_states = propose.sources

    def preview(self, uow: UnitOfWork, actor: Actor, programme: str, call: str) -> dict[str, Any]:
        """How the pool would be shared now; changes nothing."""
        require(actor, Action.allocation_preview)
        config, call_config = self._pooled_call(programme, call)
        rule, budget = config.allocation, config.budget
        assert rule is not None and budget is not None
        row = uow.programmes.by_code(programme)
        assert row is not None and row.id is not None
        left = Money(budget.pool - budget.committed_before - row.committed, config.currency)
        applied = uow.cases.in_call(row.id, call, self.applied_states)
        excluded = [
            {"case_id": c.id, "reason": f"no {rule.weight_input} was given with the application"}
            for c in applied
            if getattr(c, rule.weight_input) is None
        ]
        apps = [
            Application(
                str(c.id),
                c.requested_amount or Money.zero(config.currency),
                getattr(c, rule.weight_input),
            )
            for c in applied
            if getattr(c, rule.weight_input) is not None
        ]
        result = allocate(left, rule.floor, apps)
        deadline = call_config.application_deadline
        return {
            "programme": programme,
            "call": call,
            "currency": config.currency,
            "rule": f"{programme}#allocation",
            "pool_left": left,
            "floor": Money(rule.floor, config.currency),
            "total_requested": result.total_requested,
            "feasible": result.feasible,
            "explanation": result.explanation,
            "allocations": [
                {
                    "case_id": int(a.key),
                    "requested": a.requested,
                    "target_group_size": a.weight,
                    "amount": result.amounts.get(a.key),
                }
                for a in apps
            ],
            "excluded": excluded,
            "deadline_passed_at": deadline.replace(tzinfo=config.zone).isoformat()
            if deadline
            else None,
        }

    def confirm(
        self, uow: UnitOfWork, actor: Actor, programme: str, call: str, terms: AllocationTerms
    ) -> dict[str, Any]:
        """Propose each allocated amount as a decision, all or none, each through its own
        transition (so each is audited, and an approver still confirms each one: four eyes)."""
        require(actor, Action.allocation_propose)
        preview = self.preview(uow, actor, programme, call)
        if not preview["feasible"]:
            raise Conflict(preview["explanation"], rule=preview["rule"])
        body = terms.model_dump(mode="json")
        proposed = []
        for row in preview["allocations"]:
            fired = self.transitions.fire_in(
                uow,
                actor,
                row["case_id"],
                PROPOSE,
                {**body, "amount": str(row["amount"])},
                details={
                    "allocation": {
                        "rule": preview["rule"],
                        "pool_left": preview["pool_left"],
                        "floor": preview["floor"],
                        "target_group_size": row["target_group_size"],
                    }
                },
            )
            proposed.append(
                {"case_id": row["case_id"], "amount": row["amount"], "event_seq": fired.event.seq}
            )
        return {**preview, "proposed": proposed}

    def _pooled_call(self, programme: str, call: str) -> tuple[ProgrammeConfig, Call]:
        config = self.catalogue.programme(programme)
        if config is None:
            raise NotFound(f"there is no programme {programme!r}")
        if config.allocation is None or config.budget is None:
            raise Conflict(
                f"{programme} is not a pooled programme: it has no [allocation] and [budget]"
            )
        call_config = config.call(call)
        if call_config is None:
            raise NotFound(f"{programme} has no call {call!r}")
        deadline = call_config.application_deadline
        if deadline is not None and self.clock.now() < deadline.replace(tzinfo=config.zone):
            raise Conflict(
                f"the call is open until {deadline.strftime('%d-%m-%Y %H:%M')} ({config.time_zone}); allocate after it closes",
                deadline=deadline.replace(tzinfo=config.zone).isoformat(),
            )
        return config, call_config
