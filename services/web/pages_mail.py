"""The page where a person chooses their own mail: address, language, a daily digest, reminders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.errors import ServiceError
from services.mail.contacts import PersonMail, PersonMailPublic, person_public
from services.policy import declared, require
from services.web.rendering import (
    LangDep,
    SessionDep,
    checked_form,
    render,
    services_of,
    settings_of,
)
from services.web.sessions import BrowserSession
from workflow.access import Action

router = APIRouter(include_in_schema=False)


@router.get(
    "/ui/mail", openapi_extra=declared(Action.mail_preferences), response_class=HTMLResponse
)
def my_mail_page(request: Request, session: SessionDep, lang: LangDep, done: str = "") -> Response:
    require(session.actor, Action.mail_preferences)
    return _page(request, session, lang, _mine(request, session), done=bool(done))


@router.post("/ui/mail", openapi_extra=declared(Action.mail_preferences))
async def save_my_mail(request: Request, session: SessionDep, lang: LangDep) -> Response:
    form = await checked_form(request, session)
    require(session.actor, Action.mail_preferences)
    assert session.actor.user_id is not None  # a browser session is always a person's
    services = services_of(request)
    try:
        # An unticked box is not sent at all: its absence is the answer "no".
        change = PersonMail(
            email=str(form.get("email") or "").strip() or None,
            language=form.get("language") or None,
            digest=form.get("digest") == "1",
            reminders=form.get("reminders") == "1",
        )
        with services.units.writing() as uow:
            services.contacts.person(uow, session.actor, session.actor.user_id, change)
            uow.commit()
    except ValidationError as wrong:
        said = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in wrong.errors(include_url=False))
        return _page(request, session, lang, _mine(request, session), refusal=said, status=422)
    except ServiceError as refused:
        mine = _mine(request, session)
        return _page(request, session, lang, mine, refusal=refused.detail, status=refused.status)
    return RedirectResponse("/ui/mail?done=1", status_code=303)


def _mine(request: Request, session: BrowserSession) -> PersonMailPublic:
    services = services_of(request)
    with services.units.reading() as uow:
        user = uow.people.user(session.actor.user_id or 0)
        assert user is not None
        return person_public(user)


def _page(
    request: Request,
    session: BrowserSession,
    lang: str,
    mine: PersonMailPublic,
    *,
    done: bool = False,
    refusal: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mail.html",
        lang,
        session,
        status=status,
        mine=mine,
        default_language=settings_of(request).mail_language,
        done=done,
        refusal=refusal,
    )
