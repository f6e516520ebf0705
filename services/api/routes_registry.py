"""The HTTP route of the registry: the diarium, every case and document in or out, by number."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.api.deps import ActorDep, RegistrarDep, UnitsDep
from services.api.paging import Cursor, Limit, linked
from services.api.problems import PROBLEMS
from services.policy import declared
from services.registry import RegistryEntryPublic
from services.schemas import Page
from services.storage.registry import RegistryFilter
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["registry"])


@router.get("/registry", openapi_extra=declared(Action.registry_read))
def registry(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    registrar: RegistrarDep,
    series: Annotated[
        str | None, Query(max_length=16, description="a programme's series, e.g. SFU")
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    direction: Literal["in", "out"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RegistryEntryPublic]:
    """The diarium: each case (`SFU 2026/0123`) and each document that came in or went out
    (`SFU 2026/0123-1`, ...), by series, year and number."""
    where = RegistryFilter(series, year, case_id, direction)
    with units.reading() as uow:
        return linked(registrar.page(uow, actor, where, limit, cursor), request)
