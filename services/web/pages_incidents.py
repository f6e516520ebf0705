"""The incidents page: what failed and waits for a person, and the person's answer to each."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.container import Services
from services.errors import ServiceError
from services.incidents import Move, Reason
from services.policy import allows, declared, require
from services.times import local_instant
from services.web.rendering import LangDep, SessionDep, checked_form, render, services_of
from services.web.sessions import BrowserSession
from workflow.access import Action
from workflow.statuses import IncidentStatus

router = APIRouter(include_in_schema=False)


@router.get(
    "/ui/incidents", openapi_extra=declared(Action.incidents_read), response_class=HTMLResponse
)
def incidents_page(
    request: Request, session: SessionDep, lang: LangDep, all: str = "", done: str = ""
) -> HTMLResponse:
    return _page(request, session, lang, show_all=bool(all), done=done)


@router.post("/ui/incidents/{incident_id}", openapi_extra=declared(Action.incidents_act))
async def act_on_incident(
    request: Request, incident_id: int, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    require(session.actor, Action.incidents_act)  # who may, before what they asked for
    services = services_of(request)
    action, reason = str(form.get("action") or ""), str(form.get("reason") or "")
    try:
        # The form's time is the deadline's local time, as the label says.
        due = (
            local_instant(str(form.get("due_at") or ""), _zone_of(services, incident_id))
            if action == "move"
            else None
        )
        with services.units.writing() as uow:
            incidents = services.incidents
            if action == "retry":
                incidents.retry(uow, session.actor, incident_id, Reason(reason=reason))
            elif action == "cancel":
                incidents.cancel(uow, session.actor, incident_id, Reason(reason=reason))
            elif action == "move" and due is not None:
                incidents.move(uow, session.actor, incident_id, Move(due_at=due, reason=reason))
            else:
                raise ServiceError(f"there is no action {action!r} on an incident")
            uow.commit()
    except (ServiceError, ValueError) as refused:
        detail = refused.detail if isinstance(refused, ServiceError) else str(refused)
        return _page(request, session, lang, refusal=detail, status=422)
    done = urlencode({"done": f"#{incident_id}: {action}"})
    return RedirectResponse(f"/ui/incidents?{done}", status_code=303)


def _page(
    request: Request,
    session: BrowserSession,
    lang: str,
    *,
    show_all: bool = False,
    done: str = "",
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    services = services_of(request)
    with services.units.reading() as uow:
        found = services.incidents.page(
            uow, session.actor, None if show_all else IncidentStatus.open, 100
        )
        zones = {}
        for incident in found.items:
            deadline = uow.deadlines.get(incident.deadline_id) if incident.deadline_id else None
            zones[incident.id] = deadline.time_zone if deadline else "UTC"
    return render(
        request,
        "incidents.html",
        lang,
        session,
        status=status,
        incidents=found.items,
        zones=zones,
        may_act=allows(session.actor, Action.incidents_act),
        done=done,
        refusal=refusal,
    )


def _zone_of(services: Services, incident_id: int) -> ZoneInfo:
    with services.units.reading() as uow:
        incident = uow.incidents.get(incident_id)
        deadline_id = incident.deadline_id if incident else None
        deadline = uow.deadlines.get(deadline_id) if deadline_id else None
    return ZoneInfo(deadline.time_zone if deadline else "UTC")
