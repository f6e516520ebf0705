"""Partners in a joint application: an organisation an applicant names confirms before it is
listed on the application and counted for its eligibility (a caseworker may record a consent
given on paper)."""

from __future__ import annotations

from services import audit
from services.cases.views import CaseViews
from services.cases.visibility import visible_case
from services.errors import Conflict, NotFound
from services.policy import require
from services.schemas import CasePublic
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Subject
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.read_model import updates
from workflow.statuses import EventKind


class Partners:
    def __init__(self, clock: Clock, views: CaseViews) -> None:
        self.clock = clock
        self.views = views

    def confirm(
        self, uow: UnitOfWork, actor: Actor, case_id: int, organisation_id: int
    ) -> CasePublic:
        """`organisation_id` applies jointly on the case: listed and counted from now on."""
        case = visible_case(uow, actor, case_id, lock=True)
        partner = Subject(frozenset({organisation_id}), organisation_id)
        require(actor, Action.case_partner, partner, f"partner {organisation_id}")
        party = uow.cases.party(case_id, organisation_id)
        if party is None or party.is_lead:
            raise NotFound(
                f"organisation {organisation_id} is not named as a partner on case {case_id}"
            )
        if party.confirmed_at is not None:
            raise Conflict(
                f"organisation {organisation_id} confirmed already, {party.confirmed_at}"
            )
        now = self.clock.now()
        party.confirmed_at = now
        uow.cases.save_party(party)
        after = self.views.public(uow, case)
        event = audit.record(
            uow,
            kind=EventKind.amended,
            actor=actor,
            now=now,
            case_id=case_id,
            transition="partner_confirmed",
            from_state=case.state,
            to_state=case.state,
            case_version=case.version + 1,
            changes={
                "parties": [p.model_dump() for p in after.parties],
                "invited_partners": after.invited_partners,
            },
            details={"organisation_id": organisation_id},
        )
        uow.cases.apply(case, updates(event.body))
        return self.views.public(uow, case)
