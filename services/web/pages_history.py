"""A case's history: the audit trail as a timeline, the case as it stood, and the chain verified."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.audit import verify
from services.errors import InvalidRequest, NotFound
from services.policy import allows, declared
from services.schemas import CasePublic
from services.times import local_instant
from services.web.i18n import words
from services.web.rendering import LangDep, SessionDep, money, not_found, render, services_of
from workflow.access import Action
from workflow.lifecycle import label_in

router = APIRouter(include_in_schema=False)


@router.get(
    "/ui/cases/{case_id}/history",
    openapi_extra=declared(Action.case_read),
    response_class=HTMLResponse,
)
def history_page(
    request: Request,
    case_id: int,
    session: SessionDep,
    lang: LangDep,
    as_of: str = "",
    verify_chain: bool = False,
    refusals: bool = False,
) -> HTMLResponse:
    services = services_of(request)
    lifecycle = services.catalogue.lifecycle
    actor = session.actor
    then: CasePublic | None = None
    then_error = ""
    with services.units.reading() as uow:
        try:
            case = services.reading.get(uow, actor, case_id)
        except NotFound:
            return not_found(request, lang, session)
        events = services.reading.history(uow, actor, case_id, include_refusals=refusals)
        zone = services.reading.zone_of(uow, actor, case_id)
        if as_of:
            try:
                # The page shows and reads times in the programme's zone, as its label says.
                then = services.reading.as_of(uow, actor, case_id, local_instant(as_of, zone))
            except InvalidRequest:
                then_error = as_of
            except NotFound:
                then_error = words(lang)["not_yet"]
        # The button is the policy's, like the API's /audit/verify: no one gets round it here.
        may_verify = allows(actor, Action.audit_verify)
        verification = verify(uow) if verify_chain and may_verify else None
    labels = {s: label_in(spec.label, lang, s) for s, spec in lifecycle.states.items()}
    transitions = {t.name: label_in(t.label, lang, t.name) for t in lifecycle.transitions}
    return render(
        request,
        "history.html",
        lang,
        session,
        case=case,
        events=events,
        labels=labels,
        transitions=transitions,
        then=then,
        then_error=then_error,
        as_of=as_of,
        refusals=refusals,
        verification=verification,
        may_verify=may_verify,
        local=lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        as_of_value=lambda at: at.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
        zone=str(zone),
        fmt=money,
    )
