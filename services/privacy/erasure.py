"""Erasing a person: their key destroyed, their data blanked wherever it is kept in the clear,
unless a legal hold keeps it; and deciding the erasures retention proposes."""

from __future__ import annotations

from services import audit
from services.errors import Conflict, NotFound
from services.policy import require
from services.privacy.records import Erased, ProposalPublic, Why
from services.privacy.sealing import words_of
from services.storage.privacy import ErasureProposal, PersonalKey
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.statuses import EventKind


class Erasures:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def erase(
        self, uow: UnitOfWork, actor: Actor, user_id: int, why: Why, proposal: int | None = None
    ) -> Erased:
        """Erase the person's data now. The log keeps that it happened, by whom and why."""
        require(actor, Action.privacy_erase)
        user = uow.people.user(user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id}")
        key = uow.privacy.key_of(user_id)
        if key is not None and key.erased_at is not None:
            raise Conflict(f"user {user_id}'s personal data was erased on {key.erased_at:%Y-%m-%d}")
        if user_id == actor.user_id:
            raise Conflict("no one erases themselves: another administrator does it")
        if user.active:
            raise Conflict(f"user {user_id} is still active: disable them first")
        cases = {c.id for c in uow.personal_data.cases_acted_on(user_id) if c.id is not None}
        holds = uow.privacy.holds_over(user_id, cases)
        if holds:
            listed = ", ".join(
                f"hold {h.id} on " + (f"case {h.case_id}" if h.case_id else "the person")
                for h in holds
            )
            raise Conflict(f"a legal hold keeps user {user_id}'s data: {listed}")
        now = self.clock.now()
        words, seqs = words_of(uow, user_id)  # while the key still opens them
        uow.personal_data.blank(user, now, words, seqs)
        key = key or PersonalKey(user_id=user_id, created_at=now)
        key.key, key.erased_at, key.erased_by = None, now, actor.user_id
        uow.privacy.save(key)
        for open_one in uow.privacy.proposals("proposed"):
            if open_one.user_id == user_id:
                open_one.status = "approved" if open_one.id == proposal else "superseded"
                open_one.decided_by, open_one.decided_at = actor.user_id, now
                uow.privacy.save(open_one)
        event = audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="personal_data_erased",
            reason=why.reason,
            details={"user": user_id, "proposal": proposal},
        )
        return Erased(user_id=user_id, erased_at=now, event_seq=event.seq)

    def proposals(
        self, uow: UnitOfWork, actor: Actor, status: str | None = "proposed"
    ) -> list[ProposalPublic]:
        require(actor, Action.privacy_read)
        return [ProposalPublic.model_validate(p) for p in uow.privacy.proposals(status)]

    def approve(self, uow: UnitOfWork, actor: Actor, proposal_id: int, why: Why) -> Erased:
        proposal = self._open(uow, actor, proposal_id)
        return self.erase(uow, actor, proposal.user_id, why, proposal=proposal_id)

    def refuse(self, uow: UnitOfWork, actor: Actor, proposal_id: int, why: Why) -> ProposalPublic:
        """Keep the person's data after all; retention asks again a year later."""
        proposal = self._open(uow, actor, proposal_id)
        now = self.clock.now()
        proposal.status, proposal.decided_by, proposal.decided_at = "refused", actor.user_id, now
        proposal.reason = why.reason
        uow.privacy.save(proposal)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="erasure_refused",
            reason=why.reason,
            details={"user": proposal.user_id, "proposal": proposal_id},
        )
        return ProposalPublic.model_validate(proposal)

    def _open(self, uow: UnitOfWork, actor: Actor, proposal_id: int) -> ErasureProposal:
        require(actor, Action.privacy_erase)
        proposal = uow.privacy.proposal(proposal_id)
        if proposal is None:
            raise NotFound(f"there is no erasure proposal {proposal_id}")
        if proposal.status != "proposed":
            raise Conflict(f"erasure proposal {proposal_id} was already {proposal.status}")
        return proposal
