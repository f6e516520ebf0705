"""The assessment checklist's form on the case page: a caseworker answers one criterion."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.cases.checklists import ChecklistAnswerIn
from services.errors import ServiceError
from services.policy import declared, require
from services.web.pages_case import _case_page
from services.web.rendering import LangDep, SessionDep, checked_form, services_of
from workflow.access import Action

router = APIRouter(include_in_schema=False)


@router.post("/ui/cases/{case_id}/checklist/{key}", openapi_extra=declared(Action.case_assess))
async def answer_from_form(
    request: Request, case_id: int, key: str, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    require(session.actor, Action.case_assess)  # who may, before what they asked for
    services = services_of(request)
    answer, note = str(form.get("answer") or ""), str(form.get("note") or "")
    try:
        given = ChecklistAnswerIn(answer=answer, note=note)
        with services.units.writing() as uow:
            services.checklists.answer(uow, session.actor, case_id, key, given, lang)
            uow.commit()
    except (ServiceError, ValidationError) as refused:
        # The criterion's form opens again with what was typed, its faulty field marked.
        detail = refused.detail if isinstance(refused, ServiceError) else _said(refused)
        field = refused.extra.get("field", "") if isinstance(refused, ServiceError) else "note"
        refusal = {
            "checklist": key,
            "detail": detail,
            "type": getattr(refused, "problem", "invalid-request"),
            "fields": {field: detail} if field else {},
            "values": {"answer": answer, "note": note},
        }
        status = refused.status if isinstance(refused, ServiceError) else 422
        return _case_page(request, session, lang, case_id, refusal=refusal, status=status)
    done = urlencode({"done": "checklist_answered"})
    return RedirectResponse(f"/ui/cases/{case_id}?{done}#checklist", status_code=303)


def _said(invalid: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())
