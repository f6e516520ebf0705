"""The HTTP routes for personal data: erase a person, decide the erasures retention proposes,
place and lift legal holds (docs/PRIVACY.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.api.deps import ActorDep, ServicesDep
from services.api.problems import PROBLEMS
from services.policy import declared
from services.privacy.records import Erased, HoldPublic, HoldRequest, ProposalPublic, Why
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["privacy"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/users/{user_id}/erasure",
    openapi_extra=declared(Action.privacy_erase),
    status_code=status.HTTP_201_CREATED,
)
def erase(user_id: Id, why: Why, actor: ActorDep, services: ServicesDep) -> Erased:
    """Erase a disabled person's personal data now (a request under GDPR article 17, say):
    their key is destroyed, so the log keeps its hashes and shows "[erased]"; refused (409)
    while a legal hold keeps it."""
    with services.units.writing() as uow:
        done = services.erasures.erase(uow, actor, user_id, why)
        uow.commit()
    return done


@router.get("/privacy/erasure-proposals", openapi_extra=declared(Action.privacy_read))
def proposals(
    actor: ActorDep,
    services: ServicesDep,
    status: Annotated[str | None, Query(pattern="^(proposed|approved|refused|superseded)$")] = (
        "proposed"
    ),
) -> list[ProposalPublic]:
    """The erasures the nightly retention review proposed, waiting for a person's decision."""
    with services.units.reading() as uow:
        return services.erasures.proposals(uow, actor, status)


@router.post(
    "/privacy/erasure-proposals/{erasure_id}/approve", openapi_extra=declared(Action.privacy_erase)
)
def approve(erasure_id: Id, why: Why, actor: ActorDep, services: ServicesDep) -> Erased:
    with services.units.writing() as uow:
        done = services.erasures.approve(uow, actor, erasure_id, why)
        uow.commit()
    return done


@router.post(
    "/privacy/erasure-proposals/{erasure_id}/refuse", openapi_extra=declared(Action.privacy_erase)
)
def refuse(erasure_id: Id, why: Why, actor: ActorDep, services: ServicesDep) -> ProposalPublic:
    """Keep the person's data after all; the review asks again in a year."""
    with services.units.writing() as uow:
        done = services.erasures.refuse(uow, actor, erasure_id, why)
        uow.commit()
    return done


@router.get("/privacy/legal-holds", openapi_extra=declared(Action.privacy_read))
def holds(
    actor: ActorDep, services: ServicesDep, lifted: Annotated[bool, Query()] = False
) -> list[HoldPublic]:
    """The holds in force (with `lifted=true`, those lifted as well)."""
    with services.units.reading() as uow:
        return services.holds.listed(uow, actor, active_only=not lifted)


@router.post(
    "/privacy/legal-holds",
    openapi_extra=declared(Action.privacy_hold),
    status_code=status.HTTP_201_CREATED,
)
def place(request: HoldRequest, actor: ActorDep, services: ServicesDep) -> HoldPublic:
    """Keep a person's data, or that of everyone who acted on a case, from erasure."""
    with services.units.writing() as uow:
        done = services.holds.place(uow, actor, request)
        uow.commit()
    return done


@router.post("/privacy/legal-holds/{hold_id}/lift", openapi_extra=declared(Action.privacy_hold))
def lift(hold_id: Id, why: Why, actor: ActorDep, services: ServicesDep) -> HoldPublic:
    with services.units.writing() as uow:
        done = services.holds.lift(uow, actor, hold_id, why)
        uow.commit()
    return done
