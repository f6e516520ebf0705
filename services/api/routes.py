"""The HTTP routes: cases and their transitions, history and audit, and what the service knows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Response, status
from fastapi.responses import HTMLResponse

from services.api.deps import (
    ActorDep,
    AuditorDep,
    CasesDep,
    CatalogueDep,
    DbDep,
    KeeperDep,
    SettingsDep,
)
from services.api.problems import DESCRIPTIONS, MEDIA_TYPE, Problem
from services.audit import verify
from services.cases import CaseFilter
from services.deadlines import DeadlineFilter, case_deadlines, list_deadlines, list_notifications
from services.errors import InvalidRequest, NotFound, PreconditionFailed
from services.schemas import (
    CasePage,
    CasePublic,
    DeadlinePage,
    DeadlinePublic,
    EventPublic,
    InputPublic,
    Me,
    NewCase,
    NotificationPublic,
    TransitionPublic,
    TransitionResult,
    VerificationPublic,
)
from services.storage.models import AuditHead
from workflow.clock import assume_utc
from workflow.lifecycle import label_in, load_lifecycle

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": text}
    for code, text in {
        401: "No valid bearer token",
        403: "Not allowed for your role or organisation",
        404: "Not found, or not yours to see",
        422: "Invalid request",
    }.items()
}
TRANSITION_PROBLEMS = {
    **PROBLEMS,
    **{
        code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": text}
        for code, text in {
            409: "Refused in the case's current state, or by a guard",
            412: "If-Match does not name the current version",
        }.items()
    },
}

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the case's id")]
Language = Annotated[str, Query(pattern="^[a-z]{2}$", description="label language: en, sv, da")]

# Documented as an enum so clients (and fuzzers) see what exists; an unknown name still gets a
# 404 problem rather than a validation error, because "no such transition" is what it is.
TRANSITION_NAMES = load_lifecycle().transition_names()

router = APIRouter(responses=PROBLEMS)


def _etag(version: int) -> str:
    return f'"{version}"'


def _parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise PreconditionFailed(f"If-Match {value!r} matches no version of this case")
    return int(text)


def parse_when(text: str) -> dt.datetime | dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"as_of {text!r} is neither a date (2021-12-31) nor a time (2021-12-31T12:00:00+01:00)",
            field="as_of",
        ) from None


@router.post("/cases", status_code=status.HTTP_201_CREATED, tags=["cases"])
def create_case(
    new: NewCase,
    actor: ActorDep,
    cases: CasesDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> CasePublic:
    """Register interest or start an application, by the programme's entry point."""
    case = cases.create(actor, new, idempotency_key)
    response.headers["Location"] = f"/cases/{case.id}"
    response.headers["ETag"] = _etag(case.version)
    return case


@router.get("/cases", tags=["cases"])
def list_cases(
    actor: ActorDep,
    cases: CasesDep,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(max_length=64)] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    sort: Literal["id", "updated_at", "state", "title", "requested_amount"] = "id",
    order: Literal["asc", "desc"] = "desc",
) -> CasePage:
    """Cases you may see, newest first by default; applicants see their own organisation's only."""
    where = CaseFilter(programme, state, organisation_id)
    return cases.list(actor, where, page, page_size, sort=sort, descending=order == "desc")


@router.get("/cases/{case_id}", tags=["cases"])
def read_case(
    case_id: CaseId,
    actor: ActorDep,
    cases: CasesDep,
    response: Response,
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="a date or time: the case as it stood then, rebuilt from its events",
        ),
    ] = None,
) -> CasePublic:
    if as_of is not None:
        return cases.as_of(actor, case_id, parse_when(as_of))
    case = cases.get(actor, case_id)
    response.headers["ETag"] = _etag(case.version)
    return case


@router.get("/cases/{case_id}/transitions", tags=["transitions"])
def open_transitions(
    case_id: CaseId,
    actor: ActorDep,
    cases: CasesDep,
    catalogue: CatalogueDep,
    lang: Language = "en",
) -> list[TransitionPublic]:
    """The transitions you may fire in the case's current state, with the inputs each takes."""
    case = cases.get(actor, case_id)
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
    tags=["transitions"],
    responses=TRANSITION_PROBLEMS,
    response_model=TransitionResult,
)
def fire_transition(
    case_id: CaseId,
    name: Annotated[str, Path(max_length=64, json_schema_extra={"enum": TRANSITION_NAMES})],
    actor: ActorDep,
    cases: CasesDep,
    body: Annotated[dict[str, Any] | None, Body(description="the transition's inputs")] = None,
    if_match: Annotated[str | None, Header(max_length=64)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    """Move a case. With If-Match, only if it is still at that version; with Idempotency-Key,
    a retry returns the first answer and changes nothing."""
    result = cases.fire(
        actor,
        case_id,
        name,
        body,
        if_match=_parse_if_match(if_match),
        idempotency_key=idempotency_key,
    )
    # Already a validated TransitionResult: send it as it is rather than have it validated again.
    return Response(
        result.model_dump_json(),
        media_type="application/json",
        headers={"ETag": _etag(result.case.version)},
    )


@router.get("/cases/{case_id}/history", tags=["audit"])
def case_history(
    case_id: CaseId,
    actor: ActorDep,
    cases: CasesDep,
    include_refusals: bool = False,
) -> list[EventPublic]:
    """The case's audit events, oldest first; refused attempts on request."""
    return cases.history(actor, case_id, include_refusals)


@router.get("/audit/verify", tags=["audit"])
def verify_audit_chain(actor: AuditorDep, db: DbDep) -> VerificationPublic:
    """Recompute every event's hash in order and name the first that does not verify."""
    result = verify(db)
    return VerificationPublic(
        ok=result.ok,
        events_checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
    )


@router.get("/me", tags=["meta"])
def me(actor: ActorDep) -> Me:
    return Me(
        id=actor.user_id,
        name=actor.name,
        role=actor.role.value,
        organisation_id=actor.organisation_id,
    )


@router.get("/programmes", tags=["meta"])
def programmes(actor: ActorDep, catalogue: CatalogueDep) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "title": pf.programme.title(),
            "funder": pf.programme.funder,
            "currency": pf.programme.currency,
            "time_zone": pf.programme.time_zone,
            "entry": pf.programme.entry,
            "payment": pf.programme.payment.timing.value,
            "source": pf.programme.source,
            "file": pf.path.name,
            "sha256": pf.sha256,
        }
        for code, pf in sorted(catalogue.programmes.items())
    ]


@router.get("/lifecycle", tags=["meta"])
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


@router.get("/health", tags=["meta"])
def health(db: DbDep, keeper: KeeperDep, settings: SettingsDep) -> dict[str, Any]:
    """Liveness: the audit head, the last completed deadline sweep and the oldest overdue
    deadline. `status` turns "stale" when no scheduler has swept lately or a deadline waits."""
    with db.reading() as session:
        head = session.get(AuditHead, 1)
    stale_after = dt.timedelta(seconds=settings.stale_after_seconds)
    liveness = keeper.liveness(stale_after, stale_after).as_dict()
    return {**liveness, "audit_head_seq": head.seq if head else None}


@router.get("/deadlines", tags=["deadlines"])
def deadlines(
    actor: ActorDep,
    cases: CasesDep,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(pending|fired|cancelled)$")] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    due_before: dt.datetime | None = None,
    due_after: dt.datetime | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeadlinePage:
    """Deadlines the service keeps, soonest first; applicants see their own cases' only."""
    where = DeadlineFilter(
        kind, status, case_id, programme, assume_utc(due_before), assume_utc(due_after)
    )
    return list_deadlines(cases, actor, where, page, page_size)


@router.get("/cases/{case_id}/deadlines", tags=["deadlines"])
def deadlines_of_case(case_id: CaseId, actor: ActorDep, cases: CasesDep) -> list[DeadlinePublic]:
    return case_deadlines(cases, actor, case_id)


@router.get("/notifications", tags=["deadlines"])
def notifications(
    actor: ActorDep,
    cases: CasesDep,
    case_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NotificationPublic]:
    """The outbox: reminders and flags, newest first."""
    return list_notifications(cases, actor, case_id, page, page_size)


@router.get("/problems/{slug}", tags=["meta"], response_class=HTMLResponse, include_in_schema=False)
def problem_type(slug: Annotated[str, Path(max_length=64)]) -> str:
    if slug not in DESCRIPTIONS:
        raise NotFound(f"there is no problem type {slug!r}")
    return f"<!doctype html><title>{slug}</title><h1>{slug}</h1><p>{DESCRIPTIONS[slug]}</p>"
