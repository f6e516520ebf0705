"""Moving a case: the one path every transition takes, from a caseworker, an applicant or a deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services import audit, idempotency
from services.audit import Recorded
from services.cases.facts import load_facts
from services.cases.records import cancel_obsolete_deadlines, store_records
from services.cases.views import CaseViews
from services.cases.visibility import acts_on, visible_case
from services.errors import PreconditionFailed
from services.mail.queueing import Notices
from services.policy import POLICY, refuse, require_on_case
from services.programmes import ProgrammeRegistry
from services.registry import Registrar
from services.schemas import TransitionResult
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.engine import (
    Firing,
    GuardRefused,
    NotAllowedInState,
    RoleNotAllowed,
    TransitionRefused,
)
from workflow.lifecycle import TransitionSpec
from workflow.read_model import updates
from workflow.statuses import EventKind

# Refusals worth an auditor's attention: someone tried something they may not, or the case was
# not in a state for it. Malformed bodies and stale versions are the client's bookkeeping.
AUDITED_REFUSALS = (RoleNotAllowed, NotAllowedInState, GuardRefused)


@dataclass(frozen=True)
class Fired:
    """A transition stored with its audit event, not yet committed."""

    case: Case
    firing: Firing
    event: Recorded


class CaseTransitions:
    def __init__(
        self,
        catalogue: Catalogue,
        clock: Clock,
        programmes: ProgrammeRegistry,
        views: CaseViews,
        notices: Notices,
        assurance: Mapping[str, Sequence[str]] | None = None,
        registrar: Registrar | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.programmes = programmes
        self.views = views
        self.notices = notices
        self.assurance = assurance or {}
        self.registrar = registrar or Registrar(catalogue.registry)

    def fire(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int,
        name: str,
        body: Mapping[str, Any] | None,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Fire transition `name` on a case and answer as the API does. A refusal raises
        TransitionRefused before anything is written, so the caller may still record it."""
        request = ("POST", f"/cases/{case_id}/transitions/{name}", body or {}, if_match)

        def work() -> TransitionResult:
            fired = self.fire_in(uow, actor, case_id, name, body, if_match=if_match)
            return TransitionResult(
                case=self.views.public(uow, fired.case),
                transition=fired.firing.transition.name,
                from_state=fired.firing.from_state,
                to_state=fired.firing.to_state,
                event_seq=fired.event.seq,
            )

        return idempotency.once(
            uow, self.clock, actor, idempotency_key, request, TransitionResult, work
        )

    def fire_in(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int,
        name: str,
        body: Mapping[str, Any] | None,
        *,
        if_match: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Fired:
        """Fire, and store the change with its audit event in `uow`: the path the API, an
        allocation and the deadline keeper share."""
        case = visible_case(uow, actor, case_id, lock=True)
        require_on_case(uow, actor, Action.case_fire, case)  # who may, before whether it is current
        refuse(POLICY.assured(actor, name, self.assurance))
        if if_match is not None and if_match != case.version:
            raise PreconditionFailed(
                f"you sent If-Match {if_match}, the case is at version {case.version}",
                current_version=case.version,
                state=case.state,
            )
        now = self.clock.now()
        engine = self.catalogue.engine
        facts = load_facts(uow, self.programmes, case, engine.needs(name))
        firing = engine.fire(facts, name, actor, body, now)
        cancel_obsolete_deadlines(uow, self.catalogue.lifecycle, case, firing, now)
        version = self.programmes.version_of(case.programme_id)
        store_records(uow, case, firing.records, actor, now, version, firing.transition.name)
        # A decision sent to the applicant is a document out: numbered within its case.
        number = self.registrar.number_sent(uow, case, firing.transition.name)
        registered = {"registry_number": str(number)} if number else {}
        said = firing.inputs.get("reason") or firing.inputs.get("note")
        # Who is told is read before the chain's head is locked: it is held from the event to
        # the commit, so as little as can be happens in between.
        told = self.notices.compose(
            uow,
            firing.transition.name,
            case.programme_id,
            case,
            now,
            note=str(said) if said else None,
            state=firing.to_state,
        )
        event = audit.record(
            uow,
            kind=EventKind.transition,
            actor=actor,
            now=now,
            case_id=case.id,
            transition=firing.transition.name,
            from_state=firing.from_state,
            to_state=firing.to_state,
            case_version=case.version + 1,
            inputs=firing.inputs,
            changes=firing.changes,
            reason=firing.inputs.get("reason"),
            details={**firing.explanation, **(details or {}), **registered},
        )
        uow.cases.apply(case, updates(event.body))
        if number is not None:
            config = self.programmes.config_of(case.programme_id)
            language = config.language if config else "en"
            self.registrar.enter_sent(uow, number, case, firing, event.at, event.seq, language)
        self.notices.queue(uow, told, event.seq)
        return Fired(case, firing, event)

    def record_refusal(
        self, uow: UnitOfWork, actor: Actor, case_id: int, refused: TransitionRefused
    ) -> None:
        """Put a refused attempt on the record (the entry point commits it on its own)."""
        audit.record(
            uow,
            kind=EventKind.refusal,
            actor=actor,
            now=self.clock.now(),
            case_id=case_id,
            transition=refused.transition,
            from_state=refused.state,
            reason=refused.detail,
            details={"problem": refused.problem, "status": refused.status},
        )

    def open_to(self, actor: Actor, state: str, lead_organisation_id: int) -> list[TransitionSpec]:
        """The transitions `actor` may fire on a case in `state` with that lead applicant."""
        if not acts_on(actor, lead_organisation_id):
            return []
        return self.catalogue.engine.open_transitions(state, actor.role)
