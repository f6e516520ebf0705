"""Typed dependencies, so routes stay short: the units of work, the narrow services, the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config.settings import Settings
from services.access import authenticate
from services.allocation import Allocations
from services.cases.attachments import Attachments
from services.cases.opening import CaseOpening
from services.cases.reading import CaseReading
from services.cases.transitions import CaseTransitions
from services.container import Services
from services.deadlines.keeper import DeadlineKeeper
from services.deadlines.listing import DeadlineListing
from services.storage.unit_of_work import UnitsOfWork
from workflow.actors import Actor
from workflow.catalogue import Catalogue
from workflow.clock import Clock

# The dependencies that only read the app's state are coroutines: FastAPI runs a plain function
# in its thread pool, and each hop there and back costs more than the lookup itself.

bearer = HTTPBearer(
    auto_error=False, description="A grantflow API token (`grantflow tokens create`)."
)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_units(request: Request) -> UnitsOfWork:
    return _services(request).units


async def get_services(request: Request) -> Services:
    return _services(request)


async def get_reading(request: Request) -> CaseReading:
    return _services(request).reading


async def get_opening(request: Request) -> CaseOpening:
    return _services(request).opening


async def get_transitions(request: Request) -> CaseTransitions:
    return _services(request).transitions


async def get_attachments(request: Request) -> Attachments:
    return _services(request).attachments


async def get_allocations(request: Request) -> Allocations:
    return _services(request).allocations


async def get_deadline_listing(request: Request) -> DeadlineListing:
    return _services(request).deadlines


async def get_keeper(request: Request) -> DeadlineKeeper:
    keeper: DeadlineKeeper = request.app.state.keeper
    return keeper


async def get_settings_(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_catalogue(request: Request) -> Catalogue:
    return _services(request).catalogue


async def get_clock(request: Request) -> Clock:
    return _services(request).clock


async def get_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    # One indexed lookup, run on the event loop: a hop to the thread pool and back costs more.
    with _services(request).units.reading() as uow:
        return authenticate(uow, credentials.credentials if credentials else None)


UnitsDep = Annotated[UnitsOfWork, Depends(get_units)]
ServicesDep = Annotated[Services, Depends(get_services)]
ReadingDep = Annotated[CaseReading, Depends(get_reading)]
OpeningDep = Annotated[CaseOpening, Depends(get_opening)]
TransitionsDep = Annotated[CaseTransitions, Depends(get_transitions)]
AttachmentsDep = Annotated[Attachments, Depends(get_attachments)]
AllocationsDep = Annotated[Allocations, Depends(get_allocations)]
DeadlineListingDep = Annotated[DeadlineListing, Depends(get_deadline_listing)]
KeeperDep = Annotated[DeadlineKeeper, Depends(get_keeper)]
SettingsDep = Annotated[Settings, Depends(get_settings_)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ActorDep = Annotated[Actor, Depends(get_actor)]
