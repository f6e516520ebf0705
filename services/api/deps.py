"""Typed dependencies, so routes stay short: the units of work, the narrow services, the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config.settings import Settings
from services.access import authenticate
from services.allocation import Allocations
from services.cases.attachments import Attachments
from services.cases.checklists import Checklists
from services.cases.opening import CaseOpening
from services.cases.partners import Partners
from services.cases.reading import CaseReading
from services.cases.tranches import TranchePayments
from services.container import Services
from services.deadlines.extensions import DeadlineExtensions
from services.deadlines.keeper import DeadlineKeeper
from services.deadlines.listing import DeadlineListing
from services.incidents import Incidents
from services.mail.contacts import Contacts
from services.mail.outbox import Outbox
from services.registry import Registrar
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


def _service(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency giving one of the services: `Services.<name>`."""

    async def service(request: Request) -> Any:
        return getattr(_services(request), name)

    return service


def _app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    async def state(request: Request) -> Any:
        return getattr(request.app.state, name)

    return state


def get_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    # In the thread pool, not on the event loop: a database that stops answering must hold up
    # this request only, never every request of the worker.
    production = request.app.state.settings.environment == "production"
    with _services(request).units.reading(one_statement=True) as uow:  # the token's holder
        token = credentials.credentials if credentials else None
        actor = authenticate(uow, token, now=_services(request).clock.now(), production=production)
    request.state.actor = actor  # for the record of a refusal, should one follow
    return actor


async def get_services(request: Request) -> Services:
    return _services(request)


UnitsDep = Annotated[UnitsOfWork, Depends(_service("units"))]
ServicesDep = Annotated[Services, Depends(get_services)]
ReadingDep = Annotated[CaseReading, Depends(_service("reading"))]
OpeningDep = Annotated[CaseOpening, Depends(_service("opening"))]
AttachmentsDep = Annotated[Attachments, Depends(_service("attachments"))]
PartnersDep = Annotated[Partners, Depends(_service("partners"))]
ChecklistsDep = Annotated[Checklists, Depends(_service("checklists"))]
TranchesDep = Annotated[TranchePayments, Depends(_service("tranches"))]
AllocationsDep = Annotated[Allocations, Depends(_service("allocations"))]
DeadlineListingDep = Annotated[DeadlineListing, Depends(_service("deadlines"))]
IncidentsDep = Annotated[Incidents, Depends(_service("incidents"))]
OutboxDep = Annotated[Outbox, Depends(_service("outbox"))]
ContactsDep = Annotated[Contacts, Depends(_service("contacts"))]
RegistrarDep = Annotated[Registrar, Depends(_service("registrar"))]
ExtensionsDep = Annotated[DeadlineExtensions, Depends(_service("extensions"))]
CatalogueDep = Annotated[Catalogue, Depends(_service("catalogue"))]
ClockDep = Annotated[Clock, Depends(_service("clock"))]
KeeperDep = Annotated[DeadlineKeeper, Depends(_app_state("keeper"))]
SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
ActorDep = Annotated[Actor, Depends(get_actor)]
