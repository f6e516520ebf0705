"""RFC 9457 problem details: every refusal the API gives, in one shape, with a stable type."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.errors import ServiceError
from services.numbers import whole_number
from services.refusals import RefusalLog
from workflow.actors import ANONYMOUS
from workflow.engine import TransitionRefused
from workflow.lifecycle import InvalidInputs

log = logging.getLogger("grantflow.api")

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# Each problem type is documented at /problems/<slug> on the service itself.
DESCRIPTIONS = {
    "bad-request": "The request could not be read.",
    "unauthenticated": "No bearer token, or one that is unknown or revoked.",
    "forbidden": "Your role or organisation may not do this.",
    "not-found": "No such resource, or none you may see.",
    "invalid-request": "The request is well-formed but a field is wrong; `errors` lists each.",
    "invalid-inputs": "The transition's body does not match the inputs it declares; `errors` lists each.",
    "version-mismatch": "If-Match names a version the case no longer has; read it again.",
    "idempotency-key-reused": "The Idempotency-Key was used before for a different request.",
    "conflict": "The request conflicts with the current state of the resource.",
    "unknown-transition": "The lifecycle has no transition of that name.",
    "role-not-allowed": "Your role may not fire this transition.",
    "transition-not-allowed-in-state": "The case is not in a state this transition leaves from.",
    "guard-refused": "A rule of the lifecycle or the programme refused the transition; `guard` names it.",
    "method-not-allowed": "The resource does not accept this method.",
    "not-closed": "Only a case in a final state of the lifecycle (closed, rejected, withdrawn, ...) is handed to an archive; `state` says where it is.",
    "programme-unavailable": "The case's programme file is missing or broken, so its rules cannot be applied; an incident says why.",
    "programme-retired": "The programme was retired: it takes no new cases; its running cases go on.",
    "call-closed": "No call of the programme takes applications now; `calls` says when each closed or opens.",
    "unstorable-value": "The database refused a value as given (a NUL character in text, say); nothing was changed.",
    "database-unavailable": "The database did not answer in time; nothing was changed. Try again after Retry-After seconds.",
    "internal-error": "Something failed inside the service; nothing was changed.",
}


class Problem(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


# The problems each route may answer with, for the OpenAPI document.
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": text}
    for code, text in {
        401: "No valid bearer token",
        403: "Not allowed for your role or organisation",
        404: "Not found, or not yours to see",
        422: "Invalid request",
    }.items()
}
TRANSITION_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    **{
        code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": text}
        for code, text in {
            409: "Refused in the case's current state, or by a guard",
            412: "If-Match does not name the current version",
        }.items()
    },
}


def problem_response(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


# Refusals an auditor should be able to find: who was turned away, from what, and why.
RECORDED = {401, 403, 404, 412, 422}


async def record_refusal(request: Request, status: int, problem: str, detail: str) -> None:
    """Put a refused request on the audit record, in a unit of work of its own; a record that
    cannot be written is logged and never turns the refusal into an error."""
    refusals: RefusalLog | None = getattr(request.app.state, "refusals", None)
    if refusals is None or status not in RECORDED:
        return
    actor = getattr(request.state, "actor", None) or ANONYMOUS
    route = request.scope.get("route")
    asked = f"{request.method} {getattr(route, 'path', request.url.path)}"[:200]
    # A malformed body or a stale version is the client's bookkeeping, not an attempt on the
    # case: searchable in the log, but not put in the case's own history.
    on_case = status in (401, 403, 404)
    case_id = whole_number(request.path_params.get("case_id")) if on_case else None
    where = {"path": request.url.path[:500]}

    def write() -> None:
        with request.app.state.services.units.writing() as uow:
            if refusals.record(uow, actor, asked, status, problem, detail, case_id, where):
                uow.commit()

    try:
        await run_in_threadpool(write)
    except Exception:
        log.exception("could not record a refusal of %s", asked)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        await record_refusal(request, exc.status, exc.problem, exc.detail)
        response = problem_response(exc.status, exc.problem, exc.title, exc.detail, **exc.extra)
        if exc.status == 401:  # RFC 9110: a 401 names the scheme it wants
            response.headers["WWW-Authenticate"] = 'Bearer realm="grantflow"'
        return response

    @app.exception_handler(TransitionRefused)
    async def _refused(request: Request, exc: TransitionRefused) -> JSONResponse:
        extra: dict[str, Any] = {
            "transition": exc.transition,
            "state": exc.state,
            "open_transitions": exc.open_transitions,
        }
        if guard := getattr(exc, "guard", None):
            extra["guard"] = guard
            extra.update(getattr(exc, "details", {}))
        return problem_response(exc.status, exc.problem, "Transition refused", exc.detail, **extra)

    @app.exception_handler(InvalidInputs)
    async def _invalid_inputs(request: Request, exc: InvalidInputs) -> JSONResponse:
        fields = ", ".join(e["field"] for e in exc.errors)
        await record_refusal(request, 422, "invalid-inputs", f"{exc.transition}: check {fields}")
        return problem_response(
            422,
            "invalid-inputs",
            "Invalid inputs",
            f"{exc.transition}: check {fields}",
            errors=exc.errors,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        await record_refusal(request, 422, "invalid-request", detail)
        return problem_response(422, "invalid-request", "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {
            404: "not-found",
            405: "method-not-allowed",
            401: "unauthenticated",
            403: "forbidden",
        }.get(exc.status_code, "bad-request")
        return problem_response(
            exc.status_code, slug, slug.replace("-", " ").capitalize(), str(exc.detail)
        )

    @app.exception_handler(OverflowError)
    async def _too_large(request: Request, exc: OverflowError) -> JSONResponse:
        # A number or time from the request that the database or the calendar cannot hold.
        return problem_response(
            422, "invalid-request", "Invalid request", f"a value is out of range: {exc}"
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def _database_away(request: Request, exc: Exception) -> JSONResponse:
        # The database did not answer in time, refused the connection or dropped it: nothing
        # was changed (the unit of work rolled back), and trying again later may well work.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = problem_response(
            503,
            "database-unavailable",
            "Database unavailable",
            "the database did not answer in time; nothing was changed: try again shortly",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(StaleDataError)
    async def _changed_meanwhile(request: Request, exc: StaleDataError) -> JSONResponse:
        # A case's row moved past the version it was read at (services/storage/cases.py): the
        # unit of work rolled back, and the caller reads the case again before retrying.
        return problem_response(
            409,
            "case-changed",
            "Case changed meanwhile",
            "the case was changed by someone else while this request ran; nothing was changed:"
            " read it again and retry",
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # What validation cannot see but the database refuses, such as a NUL character in text,
        # which PostgreSQL will not store. The transaction it broke has been rolled back.
        return problem_response(
            422, "unstorable-value", "Value cannot be stored", str(exc.orig).strip()
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500, "internal-error", "Internal error", "the request failed; nothing was changed"
        )
