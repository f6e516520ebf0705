"""The HTTP routes of cases: opening, listing and reading them, their transitions and history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status

from services.api.deps import (
    ActorDep,
    CatalogueDep,
    OpeningDep,
    PartnersDep,
    ReadingDep,
    ServicesDep,
    UnitsDep,
)
from services.api.paging import Cursor, Limit, linked
from services.api.problems import PROBLEMS, TRANSITION_PROBLEMS
from services.container import Services
from services.entry import fire_transition
from services.errors import InvalidRequest, PreconditionFailed
from services.numbers import whole_number
from services.policy import declared
from services.schemas import (
    CasePage,
    CasePublic,
    EventPublic,
    InputPublic,
    NewCase,
    TransitionPublic,
    TransitionResult,
)
from services.storage.cases import CaseFilter
from services.times import parse_instant
from workflow.access import Action
from workflow.lifecycle import label_in, load_lifecycle

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the case's id")]
Language = Annotated[str, Query(pattern="^[a-z]{2}$", description="label language: en, sv, da")]

# Documented as an enum so clients (and fuzzers) see what exists; an unknown name still gets a
# 404 problem rather than a validation error, because "no such transition" is what it is.
LIFECYCLE = load_lifecycle()
TRANSITION_NAMES = LIFECYCLE.transition_names()
STATE_NAMES = list(LIFECYCLE.states)

router = APIRouter(responses=PROBLEMS)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    version = whole_number(value.strip().removeprefix("W/").strip('"'))
    if version is None:
        raise PreconditionFailed(f"If-Match {value!r} matches no version of this case")
    return version


@router.post(
    "/cases",
    openapi_extra=declared(Action.case_open),
    status_code=status.HTTP_201_CREATED,
    tags=["cases"],
)
def create_case(
    new: NewCase,
    actor: ActorDep,
    units: UnitsDep,
    opening: OpeningDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> CasePublic:
    """Register interest or start an application, by the programme's entry point."""
    with units.writing() as uow:
        case = opening.open(uow, actor, new, idempotency_key)
        uow.commit()
    response.headers["Location"] = f"/cases/{case.id}"
    response.headers["ETag"] = etag(case.version)
    return case


@router.get("/cases", openapi_extra=declared(Action.case_read), tags=["cases"])
def list_cases(
    request: Request,
    actor: ActorDep,
    units: UnitsDep,
    reading: ReadingDep,
    services: ServicesDep,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[
        str | None, Query(max_length=64, json_schema_extra={"enum": STATE_NAMES})
    ] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="words in the title (any case), or a reference such as DELMOS-18-00012",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    sort: Literal["id", "updated_at", "state", "title", "requested_amount"] = "id",
    order: Literal["asc", "desc"] = "desc",
) -> CasePage:
    """Cases you may see, newest first by default; applicants see their own organisation's only."""
    programme_id = services.programmes.id_of(programme) if programme is not None else None
    where = CaseFilter(programme_id, _state(services, state), organisation_id, text=q)
    with units.reading() as uow:
        page = reading.page(
            uow, actor, where, limit=limit, cursor=cursor, sort=sort, descending=order == "desc"
        )
    return linked(page, request)


def _state(services: Services, name: str | None) -> str | None:
    """A state to filter by: a misspelt one is an error, not an empty list."""
    if name is None:
        return None
    try:
        return services.catalogue.lifecycle.state(name)
    except ValueError as unknown:
        raise InvalidRequest(str(unknown), field="state") from None


@router.get(
    "/cases/{case_id}",
    openapi_extra=declared(Action.case_read),
    tags=["cases"],
    response_model=CasePublic,
)
def read_case(
    case_id: CaseId,
    actor: ActorDep,
    services: ServicesDep,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="a date (the end of that day in the programme's time zone) or a time "
            "with an offset: the case as it stood then, rebuilt from its events",
        ),
    ] = None,
) -> Response:
    # The current case is one statement, sent without a transaction around it; the case as it
    # stood takes several, read in one transaction.
    reading = services.reading
    with services.units.reading(one_statement=as_of is None) as uow:
        if as_of is not None:
            at = parse_instant(as_of, reading.zone_of(uow, actor, case_id))
            return _json(reading.as_of(uow, actor, case_id, at))
        case = reading.get(uow, actor, case_id)
    return _json(case, {"ETag": etag(case.version)})


def _json(case: CasePublic, headers: dict[str, str] | None = None) -> Response:
    """A case as it is, already validated: FastAPI would validate it again against the
    response model before sending it."""
    return Response(case.model_dump_json(), media_type="application/json", headers=headers)


@router.get(
    "/cases/{case_id}/transitions", openapi_extra=declared(Action.case_read), tags=["transitions"]
)
def open_transitions(
    case_id: CaseId,
    actor: ActorDep,
    units: UnitsDep,
    reading: ReadingDep,
    catalogue: CatalogueDep,
    lang: Language = "en",
) -> list[TransitionPublic]:
    """The transitions you may fire in the case's current state, with the inputs each takes."""
    with units.reading() as uow:
        case = reading.get(uow, actor, case_id)
    return [
        TransitionPublic(
            name=t.name,
            label=label_in(t.label, lang, t.name),
            to=t.dest,
            inputs=[
                InputPublic(
                    name=i.name,
                    type=i.type,
                    required=i.required,
                    label=label_in(i.label, lang, i.name),
                )
                for i in t.inputs
            ],
            guards=list(t.guards),
        )
        for t in catalogue.engine.open_transitions(case.state, actor.role)
    ]


@router.post(
    "/cases/{case_id}/transitions/{name}",
    openapi_extra=declared(Action.case_fire),
    tags=["transitions"],
    responses=TRANSITION_PROBLEMS,
    response_model=TransitionResult,
)
def fire(
    case_id: CaseId,
    name: Annotated[str, Path(max_length=64, json_schema_extra={"enum": TRANSITION_NAMES})],
    actor: ActorDep,
    services: ServicesDep,
    body: Annotated[dict[str, Any] | None, Body(description="the transition's inputs")] = None,
    if_match: Annotated[str | None, Header(max_length=64)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    """Move a case. With If-Match, only if it is still at that version; with Idempotency-Key,
    a retry returns the first answer and changes nothing."""
    result = fire_transition(
        services,
        actor,
        case_id,
        name,
        body,
        if_match=parse_if_match(if_match),
        idempotency_key=idempotency_key,
    )
    # Already a validated TransitionResult: send it as it is rather than have it validated again.
    return Response(
        result.model_dump_json(),
        media_type="application/json",
        headers={"ETag": etag(result.case.version)},
    )


@router.post(
    "/cases/{case_id}/partners/{organisation_id}/confirm",
    tags=["cases"],
    openapi_extra=declared(Action.case_partner),
)
def confirm_partner(
    case_id: CaseId,
    organisation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    actor: ActorDep,
    units: UnitsDep,
    partners: PartnersDep,
    response: Response,
) -> CasePublic:
    """A partner named on a joint application confirms it applies jointly (or a caseworker
    records that it did, on paper): only then is it listed and counted."""
    with units.writing() as uow:
        case = partners.confirm(uow, actor, case_id, organisation_id)
        uow.commit()
    response.headers["ETag"] = etag(case.version)
    return case


@router.get("/cases/{case_id}/history", openapi_extra=declared(Action.case_read), tags=["audit"])
def case_history(
    case_id: CaseId,
    actor: ActorDep,
    units: UnitsDep,
    reading: ReadingDep,
    include_refusals: bool = False,
) -> list[EventPublic]:
    """The case's audit events, oldest first; refused attempts on request."""
    with units.reading() as uow:
        return reading.history(uow, actor, case_id, include_refusals)
