"""The HTTP routes of incidents: what failed and waits for a person, and the person's answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from services.api.deps import ActorDep, IncidentsDep, UnitsDep
from services.api.paging import Cursor, Limit, linked
from services.api.problems import PROBLEMS
from services.incidents import IncidentPublic, Move, Reason
from services.policy import declared
from services.schemas import Page
from workflow.access import Action
from workflow.statuses import IncidentStatus

router = APIRouter(responses=PROBLEMS, tags=["incidents"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/incidents", openapi_extra=declared(Action.incidents_read))
def incidents(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    service: IncidentsDep,
    status: IncidentStatus | None = IncidentStatus.open,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IncidentPublic]:
    """Open incidents by default, newest first: deadlines that could not fire and programme
    files that could not be loaded. Everything else went on."""
    with units.reading() as uow:
        return linked(service.page(uow, actor, status, limit, cursor), request)


@router.post("/incidents/{incident_id}/retry", openapi_extra=declared(Action.incidents_act))
def retry(
    incident_id: Id, why: Reason, actor: ActorDep, units: UnitsDep, service: IncidentsDep
) -> IncidentPublic:
    """Try the deadline again at the next sweep; the incident closes when it fires."""
    with units.writing() as uow:
        done = service.retry(uow, actor, incident_id, why)
        uow.commit()
    return done


@router.post("/incidents/{incident_id}/move", openapi_extra=declared(Action.incidents_act))
def move(
    incident_id: Id, to: Move, actor: ActorDep, units: UnitsDep, service: IncidentsDep
) -> IncidentPublic:
    """Give the deadline a new due time (with its offset) and a fresh count of attempts."""
    with units.writing() as uow:
        done = service.move(uow, actor, incident_id, to)
        uow.commit()
    return done


@router.post("/incidents/{incident_id}/cancel", openapi_extra=declared(Action.incidents_act))
def cancel(
    incident_id: Id, why: Reason, actor: ActorDep, units: UnitsDep, service: IncidentsDep
) -> IncidentPublic:
    """The deadline will not fire; the reason goes to the audit log."""
    with units.writing() as uow:
        done = service.cancel(uow, actor, incident_id, why)
        uow.commit()
    return done
