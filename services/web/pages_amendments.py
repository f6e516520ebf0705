"""The case page's change-request forms: ask, assess, decide (docs/AMENDMENTS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from services.amendments import AmendmentRequest, Assessment, Ruling
from services.errors import InvalidRequest, ServiceError
from services.numbers import whole_number
from services.policy import declared, require
from services.web.pages_case import _case_page, _explain, _status_of
from services.web.rendering import LangDep, SessionDep, checked_form, services_of
from services.web.sessions import BrowserSession
from workflow.access import Action

router = APIRouter(include_in_schema=False)
Parsed = TypeVar("Parsed", bound=BaseModel)


@router.post("/ui/cases/{case_id}/amendments", openapi_extra=declared(Action.amendment_request))
async def ask_from_form(
    request: Request, case_id: int, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    given = {k: str(v).strip() for k, v in form.items() if k != "csrf" and str(v).strip()}
    services = services_of(request)
    try:
        asked = _parsed(AmendmentRequest, given)
        with services.units.writing() as uow:
            services.amendments.request(uow, session.actor, case_id, asked)
            uow.commit()
    except ServiceError as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    return RedirectResponse(
        f"/ui/cases/{case_id}?{urlencode({'done': 'amendments'})}#amendments", 303
    )


@router.post(
    "/ui/amendments/{amendment_id}/assess", openapi_extra=declared(Action.amendment_assess)
)
async def assess_from_form(
    request: Request, amendment_id: int, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    require(session.actor, Action.amendment_assess)  # who may, before what they asked for
    given = {k: form.get(k) for k in ("recommendation", "note")}
    return _act(request, session, lang, form.get("case_id"), amendment_id, given)


@router.post(
    "/ui/amendments/{amendment_id}/decide", openapi_extra=declared(Action.amendment_decide)
)
async def decide_from_form(
    request: Request, amendment_id: int, session: SessionDep, lang: LangDep
) -> Response:
    """An approver's decision: the button pressed (`action`) says approve or refuse."""
    form = await checked_form(request, session)
    require(session.actor, Action.amendment_decide)
    given = {"approve": form.get("action") == "approve", "reason": form.get("reason")}
    return _act(request, session, lang, form.get("case_id"), amendment_id, given)


def _act(
    request: Request,
    session: BrowserSession,
    lang: str,
    case: object,
    amendment_id: int,
    given: Mapping[str, object],
) -> Response:
    case_id = whole_number(case) or 0
    services = services_of(request)
    try:
        with services.units.writing() as uow:
            if "recommendation" in given:
                assessment = _parsed(Assessment, given)
                services.amendments.assess(uow, session.actor, amendment_id, assessment)
            else:
                services.amendments.decide(uow, session.actor, amendment_id, _parsed(Ruling, given))
            uow.commit()
    except ServiceError as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    return _back(case_id)


def _back(case_id: int) -> Response:
    done = urlencode({"done": "amendments"})
    return RedirectResponse(f"/ui/cases/{case_id}?{done}#amendments", status_code=303)


def _parsed(model: type[Parsed], given: Mapping[str, object]) -> Parsed:
    try:
        return model.model_validate(given)
    except ValidationError as wrong:
        first = wrong.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(first["msg"].removeprefix("Value error, "), field=field) from None
