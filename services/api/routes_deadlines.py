"""The HTTP routes of the deadlines the service keeps and the notifications they leave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from services.api.deps import (
    ActorDep,
    DeadlineListingDep,
    ExtensionsDep,
    ReadingDep,
    ServicesDep,
    UnitsDep,
)
from services.api.paging import Cursor, Limit, linked
from services.api.problems import PROBLEMS
from services.api.routes_cases import CaseId
from services.deadlines.extensions import ExtensionPublic, ExtensionRequest
from services.policy import declared
from services.schemas import DeadlinePublic, NotificationPublic, Page
from services.storage.deadlines import DeadlineFilter
from services.times import Instant, parse_instant
from workflow.access import Action
from workflow.statuses import DeadlineStatus

router = APIRouter(responses=PROBLEMS, tags=["deadlines"])


@router.get("/deadlines", openapi_extra=declared(Action.case_read))
def deadlines(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    listing: DeadlineListingDep,
    services: ServicesDep,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    status: DeadlineStatus | None = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    due_before: Instant | None = None,
    due_after: Instant | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeadlinePublic]:
    """Deadlines the service keeps, soonest first; applicants see their own cases' only."""
    programme_id = services.programmes.id_of(programme) if programme is not None else None
    where = DeadlineFilter(kind, status, case_id, programme_id, due_before, due_after)
    with units.reading() as uow:
        return linked(listing.page(uow, actor, where, limit, cursor), request)


@router.get("/cases/{case_id}/deadlines", openapi_extra=declared(Action.case_read))
def deadlines_of_case(
    case_id: CaseId,
    actor: ActorDep,
    units: UnitsDep,
    listing: DeadlineListingDep,
    reading: ReadingDep,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="a date (the end of that day in the programme's time zone) or a time "
            "with an offset: the deadlines as they stood then, moves since undone",
        ),
    ] = None,
) -> list[DeadlinePublic]:
    with units.reading() as uow:
        at = None if as_of is None else parse_instant(as_of, reading.zone_of(uow, actor, case_id))
        return listing.of_case(uow, actor, case_id, at)


@router.get("/notifications", openapi_extra=declared(Action.notifications_read))
def notifications(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    listing: DeadlineListingDep,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationPublic]:
    """The outbox: reminders and flags, newest first."""
    with units.reading() as uow:
        return linked(listing.notifications(uow, actor, case_id, limit, cursor), request)


@router.post(
    "/programmes/{programme}/extensions",
    openapi_extra=declared(Action.deadlines_extend),
    status_code=status.HTTP_201_CREATED,
)
def extend_deadline(
    programme: Annotated[str, Path(max_length=64)],
    request: ExtensionRequest,
    actor: ActorDep,
    units: UnitsDep,
    extensions: ExtensionsDep,
) -> ExtensionPublic:
    """Extend a deadline for a whole round (`call`) or one case (`case_id`), with a reason: its
    pending deadlines and their reminders move, the rules that check the time see the new one,
    and cases that lapsed under the old one are listed in `lapsed_before`, not revived."""
    with units.writing() as uow:
        done = extensions.extend(uow, actor, programme, request)
        uow.commit()
    return done
