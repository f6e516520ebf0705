"""Who sees a case and who acts on it, as the access policy says (states/access.toml)."""

from __future__ import annotations

from services.errors import NotFound
from services.policy import allows, narrowed_to, require_among, require_on_case
from services.storage.case_reads import CaseWithParties
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Subject
from workflow.actors import Actor


def visible_case(uow: UnitOfWork, actor: Actor, case_id: int, *, lock: bool = False) -> Case:
    """The case, if this actor may see it; to an applicant, a case its organisation is no party
    to is "not found", so it cannot learn which cases exist."""
    case = uow.cases.get(case_id, lock=lock)
    if case is None:
        raise NotFound(f"there is no case {case_id}", case_id=case_id)
    require_on_case(uow, actor, Action.case_read, case)
    return case


def shown_case(uow: UnitOfWork, actor: Actor, case_id: int) -> CaseWithParties:
    """The case and its parties, read in one statement, if this actor may see it: refused as
    `visible_case` refuses."""
    found = uow.case_reads.with_parties(case_id)
    if found is None:
        raise NotFound(f"there is no case {case_id}", case_id=case_id)
    parties = (p.organisation_id for p in found.parties)
    require_among(actor, Action.case_read, case_id, found.case.organisation_id, parties)
    return found


def party_filter(actor: Actor) -> int | None:
    """The organisation a list of cases is narrowed to for this actor, if any."""
    return narrowed_to(actor, Action.case_read)


def acts_on(actor: Actor, lead_organisation_id: int) -> bool:
    """Whether `actor` may fire transitions on a case led by that organisation (a case it can
    see): staff on any, an applicant only where its organisation leads (partners read)."""
    subject = Subject(frozenset({lead_organisation_id}), lead_organisation_id)
    return allows(actor, Action.case_fire, subject)
