"""Four eyes on a programme's rules through the API: one administrator proposes a new version,
with the plan of what it would move; another approves it, and it is applied exactly as planned
or not at all (anything that moved since makes the approval a conflict)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services import audit
from services.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.policy import require
from services.programme_changes import ProgrammeChanges
from services.storage.models import ProgrammeProposal
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.programmes import ProgrammeError, ProgrammeFile
from workflow.statuses import EventKind

PROPOSED, APPLIED = "proposed", "applied"


class ProposalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=200_000, description="the programme file")
    reason: str = Field(min_length=3, max_length=2000)


class ProposalPublic(BaseModel):
    id: int
    programme: str
    status: str = Field(description="proposed or applied")
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    plan: dict[str, Any] = Field(description="what it would do, as planned when proposed")
    still_holds: bool = Field(description="applying it now would do exactly that plan")


class ProgrammeProposals:
    def __init__(self, changes: ProgrammeChanges, clock: Clock) -> None:
        self.changes = changes
        self.clock = clock

    def propose(
        self, uow: UnitOfWork, actor: Actor, code: str, request: ProposalRequest
    ) -> ProposalPublic:
        require(actor, Action.programmes_change)
        new = self._parse(code, request.content)
        plan = self.changes.plan(uow, new)
        if not plan.rules:
            raise InvalidRequest(
                f"nothing changes: version {plan.from_version} has these rules", field="content"
            )
        now = self.clock.now()
        proposal = ProgrammeProposal(
            programme_id=self.changes.programmes.id_of(code),
            content=request.content,
            sha256=new.sha256,
            plan_hash=plan.hash,
            plan=json.dumps(plan.as_dict(), ensure_ascii=False),
            reason=request.reason,
            proposed_by=actor.user_id,
            proposed_by_name=actor.name,
            proposed_at=now,
            status=PROPOSED,
        )
        uow.programmes.add_proposal(proposal)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="programme_version_proposed",
            reason=request.reason,
            details={"programme": code, "proposal": proposal.id, "plan": plan.hash},
        )
        return self._public(code, proposal, still_holds=True)

    def get(self, uow: UnitOfWork, actor: Actor, code: str, proposal_id: int) -> ProposalPublic:
        require(actor, Action.programmes_change)
        proposal = self._proposal(uow, code, proposal_id)
        holds = proposal.status == PROPOSED and (
            self.changes.plan(uow, self._parse(code, proposal.content)).hash == proposal.plan_hash
        )
        return self._public(code, proposal, still_holds=holds)

    def approve(self, uow: UnitOfWork, actor: Actor, code: str, proposal_id: int) -> ProposalPublic:
        """The second pair of eyes: apply exactly the plan that was proposed."""
        require(actor, Action.programmes_change)
        proposal = self._proposal(uow, code, proposal_id, lock=True)
        if proposal.status != PROPOSED:
            raise Conflict(f"proposal {proposal_id} is {proposal.status} already")
        if proposal.proposed_by is not None and proposal.proposed_by == actor.user_id:
            raise Forbidden("four eyes: another administrator approves what you proposed")
        new = self._parse(code, proposal.content)
        reason = f"{proposal.reason} (proposed by {proposal.proposed_by_name})"
        self.changes.apply(uow, actor, new, reason, proposal.plan_hash)
        proposal.status = APPLIED
        proposal.decided_by, proposal.decided_by_name = actor.user_id, actor.name
        proposal.decided_at = self.clock.now()
        uow.programmes.add_proposal(proposal)
        return self._public(code, proposal, still_holds=False)

    def _parse(self, code: str, content: str) -> ProgrammeFile:
        try:
            new = self.changes.parse(f"{code} (proposed)", content)
        except ProgrammeError as broken:
            raise InvalidRequest("; ".join(broken.problems), field="content") from None
        if new.programme.code != code:
            raise InvalidRequest(
                f"the file is programme {new.programme.code!r}, not {code!r}", field="content"
            )
        return new

    def _proposal(
        self, uow: UnitOfWork, code: str, proposal_id: int, *, lock: bool = False
    ) -> ProgrammeProposal:
        found = uow.programmes.proposal(proposal_id, lock=lock)
        if found is None or found.programme_id != self.changes.programmes.id_of(code):
            raise NotFound(f"{code} has no proposal {proposal_id}")
        return found

    def _public(self, code: str, p: ProgrammeProposal, *, still_holds: bool) -> ProposalPublic:
        assert p.id is not None
        return ProposalPublic(
            id=p.id,
            programme=code,
            status=p.status,
            reason=p.reason,
            proposed_by=p.proposed_by_name,
            proposed_at=p.proposed_at,
            decided_by=p.decided_by_name,
            decided_at=p.decided_at,
            plan=json.loads(p.plan),
            still_holds=still_holds,
        )
