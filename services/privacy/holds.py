"""Legal holds: a person's data, or the data of everyone who acted on a case, kept from erasure
while a dispute, an appeal or an investigation needs it."""

from __future__ import annotations

from services import audit
from services.errors import Conflict, NotFound
from services.policy import require
from services.privacy.records import HoldPublic, HoldRequest, Why
from services.storage.privacy import LegalHold
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.statuses import EventKind


class LegalHolds:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def listed(self, uow: UnitOfWork, actor: Actor, active_only: bool = True) -> list[HoldPublic]:
        require(actor, Action.privacy_read)
        return [HoldPublic.model_validate(h) for h in uow.privacy.holds(active_only)]

    def place(self, uow: UnitOfWork, actor: Actor, request: HoldRequest) -> HoldPublic:
        require(actor, Action.privacy_hold)
        if request.user_id is not None and uow.people.user(request.user_id) is None:
            raise NotFound(f"there is no user {request.user_id}")
        if request.case_id is not None and uow.cases.get(request.case_id) is None:
            raise NotFound(f"there is no case {request.case_id}", case_id=request.case_id)
        now = self.clock.now()
        hold = LegalHold(
            user_id=request.user_id,
            case_id=request.case_id,
            reason=request.reason,
            placed_by=actor.user_id,
            placed_at=now,
        )
        uow.privacy.save(hold)
        self._record(uow, actor, "legal_hold_placed", hold, request.reason)
        return HoldPublic.model_validate(hold)

    def lift(self, uow: UnitOfWork, actor: Actor, hold_id: int, why: Why) -> HoldPublic:
        require(actor, Action.privacy_hold)
        hold = uow.privacy.hold(hold_id)
        if hold is None:
            raise NotFound(f"there is no legal hold {hold_id}")
        if hold.lifted_at is not None:
            raise Conflict(f"legal hold {hold_id} was lifted on {hold.lifted_at:%Y-%m-%d}")
        hold.lifted_by, hold.lifted_at = actor.user_id, self.clock.now()
        uow.privacy.save(hold)
        self._record(uow, actor, "legal_hold_lifted", hold, why.reason)
        return HoldPublic.model_validate(hold)

    def _record(
        self, uow: UnitOfWork, actor: Actor, what: str, hold: LegalHold, reason: str
    ) -> None:
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=self.clock.now(),
            case_id=hold.case_id,
            transition=what,
            reason=reason,
            details={"hold": hold.id, "user": hold.user_id},
        )
