"""The HTTP routes for change requests after a decision (docs/AMENDMENTS.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.amendments import AmendmentPublic, AmendmentRequest, Assessment, Ruling
from services.api.deps import ActorDep, ServicesDep
from services.api.problems import PROBLEMS
from services.policy import declared
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["amendments"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/cases/{case_id}/amendments", openapi_extra=declared(Action.case_read))
def amendments_of_case(
    case_id: Id, actor: ActorDep, services: ServicesDep
) -> list[AmendmentPublic]:
    """The case's change requests, oldest first, with where each stands."""
    with services.units.reading() as uow:
        return services.amendments.listed(uow, actor, case_id)


@router.post(
    "/cases/{case_id}/amendments",
    openapi_extra=declared(Action.amendment_request),
    status_code=status.HTTP_201_CREATED,
)
def request_amendment(
    case_id: Id, asked: AmendmentRequest, actor: ActorDep, services: ServicesDep
) -> AmendmentPublic:
    """Ask for a change to the decided grant. What the programme approves on submission is
    approved at once (`status` approved); the rest waits for a caseworker and an approver."""
    with services.units.writing() as uow:
        done = services.amendments.request(uow, actor, case_id, asked)
        uow.commit()
    return done


@router.post("/amendments/{amendment_id}/assess", openapi_extra=declared(Action.amendment_assess))
def assess_amendment(
    amendment_id: Id, assessment: Assessment, actor: ActorDep, services: ServicesDep
) -> AmendmentPublic:
    with services.units.writing() as uow:
        done = services.amendments.assess(uow, actor, amendment_id, assessment)
        uow.commit()
    return done


@router.post("/amendments/{amendment_id}/decide", openapi_extra=declared(Action.amendment_decide))
def decide_amendment(
    amendment_id: Id, ruling: Ruling, actor: ActorDep, services: ServicesDep
) -> AmendmentPublic:
    """Approve (a new version of the decision) or refuse, with a reason."""
    with services.units.writing() as uow:
        done = services.amendments.decide(uow, actor, amendment_id, ruling)
        uow.commit()
    return done
