"""The HTTP routes about the service itself and who uses it: me, programmes, the lifecycle,
health, organisations and agreements, and the problem types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from services.api.deps import (
    ActorDep,
    CatalogueDep,
    ClockDep,
    KeeperDep,
    ServicesDep,
    SettingsDep,
    UnitsDep,
)
from services.api.metrics import prometheus_text
from services.api.problems import DESCRIPTIONS, PROBLEMS
from services.errors import NotFound
from services.organisations import (
    AgreementPublic,
    NewAgreement,
    NewOrganisation,
    OrganisationPublic,
    add_agreement,
    add_organisation,
    get_agreement,
    list_agreements,
    list_organisations,
)
from services.policy import PUBLIC, SIGNED_IN, declared
from services.schemas import Me
from workflow.access import Action
from workflow.lifecycle import label_in

router = APIRouter(responses=PROBLEMS)
Language = Annotated[str, Query(pattern="^[a-z]{2}$", description="label language: en, sv, da")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/me", openapi_extra=declared(SIGNED_IN), tags=["meta"])
def me(actor: ActorDep) -> Me:
    return Me(
        id=actor.user_id,
        name=actor.name,
        role=actor.role.value,
        organisation_id=actor.organisation_id,
    )


@router.get("/programmes", openapi_extra=declared(SIGNED_IN), tags=["meta"])
def programmes(actor: ActorDep, units: UnitsDep, services: ServicesDep) -> list[dict[str, Any]]:
    """The programmes this service runs: their rules' version in use, and whether retired."""
    with units.reading() as uow:
        return services.programmes.public(uow)


@router.get("/lifecycle", openapi_extra=declared(PUBLIC), tags=["meta"])
def lifecycle(catalogue: CatalogueDep, lang: Language = "en") -> dict[str, Any]:
    """The lifecycle definition from states/: states, transitions, roles, guards and effects."""
    lc = catalogue.lifecycle
    return {
        "name": lc.name,
        "entry_states": list(lc.entry_states),
        "states": [
            {"name": s.name, "label": label_in(s.label, lang, s.name), "terminal": s.terminal}
            for s in lc.states.values()
        ],
        "transitions": [
            {
                "name": t.name,
                "label": label_in(t.label, lang, t.name),
                "from": list(t.sources),
                "to": t.dest,
                "roles": sorted(t.roles),
                "guards": list(t.guards),
                "effects": list(t.effects),
                "inputs": [
                    {"name": i.name, "type": i.type, "required": i.required} for i in t.inputs
                ],
            }
            for t in lc.transitions
        ],
    }


@router.get("/health", openapi_extra=declared(PUBLIC), tags=["meta"])
def health(
    units: UnitsDep, keeper: KeeperDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Liveness: the audit head, the last completed deadline sweep, the oldest overdue deadline
    and the open incidents. 503 (with `status` "stale" or "incidents") when no scheduler has
    swept lately, a deadline waits overdue, or an incident waits for a person."""
    with units.reading() as uow:
        head = uow.audit.head()
    stale_after = dt.timedelta(seconds=settings.stale_after_seconds)
    liveness = keeper.liveness(stale_after, stale_after)
    if not liveness.ok:
        response.status_code = 503
    return {**liveness.as_dict(), "audit_head_seq": head.seq if head else None}


@router.get(
    "/metrics", openapi_extra=declared(PUBLIC), tags=["meta"], response_class=PlainTextResponse
)
def metrics(keeper: KeeperDep) -> PlainTextResponse:
    """The deadline keeper's figures in the Prometheus text format."""
    body, media_type = prometheus_text(keeper)
    return PlainTextResponse(body, media_type=media_type)


@router.get(
    "/organisations", openapi_extra=declared(Action.organisations_read), tags=["organisations"]
)
def organisations(actor: ActorDep, units: UnitsDep) -> list[OrganisationPublic]:
    with units.reading() as uow:
        return list_organisations(uow, actor)


@router.post(
    "/organisations",
    openapi_extra=declared(Action.organisations_register),
    status_code=status.HTTP_201_CREATED,
    tags=["organisations"],
)
def create_organisation(
    new: NewOrganisation, actor: ActorDep, units: UnitsDep
) -> OrganisationPublic:
    with units.writing() as uow:
        created = add_organisation(uow, actor, new)
        uow.commit()
    return created


@router.get("/agreements", openapi_extra=declared(Action.agreements_read), tags=["organisations"])
def agreements(actor: ActorDep, units: UnitsDep) -> list[AgreementPublic]:
    with units.reading() as uow:
        return list_agreements(uow, actor)


@router.get(
    "/agreements/{agreement_id}",
    openapi_extra=declared(Action.agreements_read),
    tags=["organisations"],
)
def agreement(agreement_id: Id, actor: ActorDep, units: UnitsDep) -> AgreementPublic:
    with units.reading() as uow:
        return get_agreement(uow, actor, agreement_id)


@router.post(
    "/agreements",
    openapi_extra=declared(Action.agreements_register),
    status_code=status.HTTP_201_CREATED,
    tags=["organisations"],
)
def create_agreement(
    new: NewAgreement, actor: ActorDep, units: UnitsDep, clock: ClockDep
) -> AgreementPublic:
    """Register a joint local agreement between municipalities and the employment service."""
    with units.writing() as uow:
        created = add_agreement(uow, clock, actor, new)
        uow.commit()
    return created


@router.get(
    "/problems/{slug}",
    openapi_extra=declared(PUBLIC),
    tags=["meta"],
    response_class=HTMLResponse,
    include_in_schema=False,
)
def problem_type(slug: Annotated[str, Path(max_length=64)]) -> str:
    if slug not in DESCRIPTIONS:
        raise NotFound(f"there is no problem type {slug!r}")
    return f"<!doctype html><title>{slug}</title><h1>{slug}</h1><p>{DESCRIPTIONS[slug]}</p>"
