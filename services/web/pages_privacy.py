"""The personal-data page: the erasures retention proposes and the legal holds in force, with an
administrator's decision on each (docs/PRIVACY.md)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.errors import ServiceError
from services.numbers import whole_number
from services.policy import allows, declared, require
from services.privacy.records import HoldRequest, Why
from services.web.i18n import words
from services.web.rendering import LangDep, SessionDep, checked_form, render, services_of
from services.web.sessions import BrowserSession
from workflow.access import Action

router = APIRouter(include_in_schema=False)
# The words that say, after a form, what was done.
DONE = {
    "hold": "place_hold",
    "lift": "lift_hold",
    "approve": "approve_erasure",
    "refuse": "refuse_erasure",
}


@router.get("/ui/privacy", openapi_extra=declared(Action.privacy_read), response_class=HTMLResponse)
def privacy_page(request: Request, session: SessionDep, lang: LangDep, done: str = "") -> Response:
    return _page(request, session, lang, done=done)


@router.post("/ui/privacy", openapi_extra=declared(Action.privacy_hold))
async def act_on_privacy(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """One form for every decision on the page: `action` says which, `id` on what."""
    form = await checked_form(request, session)
    require(session.actor, Action.privacy_hold)  # who may, before what they asked for
    action, reason = str(form.get("action") or ""), str(form.get("reason") or "")
    target = whole_number(form.get("id"))
    services = services_of(request)
    try:
        with services.units.writing() as uow:
            if action in ("approve", "refuse"):
                require(session.actor, Action.privacy_erase)
                decide = (
                    services.erasures.approve if action == "approve" else services.erasures.refuse
                )
                decide(uow, session.actor, target or 0, Why(reason=reason))
            elif action == "lift":
                services.holds.lift(uow, session.actor, target or 0, Why(reason=reason))
            elif action == "hold":
                on_case = form.get("on") == "case"
                request_ = HoldRequest(
                    user_id=None if on_case else target,
                    case_id=target if on_case else None,
                    reason=reason,
                )
                services.holds.place(uow, session.actor, request_)
            else:
                raise ServiceError(f"there is no action {action!r} here")
            uow.commit()
    except ServiceError as refused:
        return _page(request, session, lang, refusal=refused.detail, status=422)
    except ValidationError as wrong:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in wrong.errors())
        return _page(request, session, lang, refusal=message, status=422)
    return RedirectResponse(f"/ui/privacy?{urlencode({'done': action})}", status_code=303)


def _page(
    request: Request,
    session: BrowserSession,
    lang: str,
    *,
    done: str = "",
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    services = services_of(request)
    with services.units.reading() as uow:
        proposals = services.erasures.proposals(uow, session.actor)
        holds = services.holds.listed(uow, session.actor)
        names = {p.user_id: (uow.people.user(p.user_id) or None) for p in proposals} | {
            h.user_id: uow.people.user(h.user_id) for h in holds if h.user_id is not None
        }
    return render(
        request,
        "privacy.html",
        lang,
        session,
        status=status,
        proposals=proposals,
        holds=holds,
        names={uid: user.name for uid, user in names.items() if user is not None},
        may_erase=allows(session.actor, Action.privacy_erase),
        may_hold=allows(session.actor, Action.privacy_hold),
        done=words(lang).get(DONE.get(done, ""), ""),
        refusal=refusal,
    )
