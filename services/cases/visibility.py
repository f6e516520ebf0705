"""Who sees a case and who acts on it: applicants their own organisation's, staff every one."""

from __future__ import annotations

from services.errors import NotFound
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor, Role


def visible_case(uow: UnitOfWork, actor: Actor, case_id: int, *, lock: bool = False) -> Case:
    """The case, if this actor may see it; to an applicant, a case its organisation is no party
    to is "not found", so it cannot learn which cases exist."""
    case = uow.cases.get(case_id, lock=lock)
    if case is not None and actor.role is Role.applicant:
        case = case if uow.cases.has_party(case_id, actor.organisation_id) else None
    if case is None:
        raise NotFound(f"there is no case {case_id}", case_id=case_id)
    return case


def party_filter(actor: Actor) -> int | None:
    """The organisation a list is narrowed to for this actor: an applicant's own, else none."""
    return actor.organisation_id if actor.role is Role.applicant else None


def acts_on(actor: Actor, lead_organisation_id: int) -> bool:
    """Whether `actor` may fire transitions on a case led by that organisation: staff on any
    case, an applicant only where its organisation is the lead (partners may read, not act)."""
    return actor.role is not Role.applicant or lead_organisation_id == actor.organisation_id
