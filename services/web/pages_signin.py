"""Signing in with a token, and out again."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.errors import Unauthenticated
from services.policy import PUBLIC, SIGNED_IN, declared
from services.refusals import RefusalLog
from services.storage.models import WebSession
from services.web.rendering import (
    CsrfRefused,
    LangDep,
    SessionDep,
    checked_form,
    lifetimes,
    not_found,
    render,
    safe_next,
    services_of,
    session_cookie,
    settings_of,
)
from services.web.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    BrowserSession,
    csrf_ok,
    sign_in,
    sign_out,
)
from workflow.actors import Actor, Role

router = APIRouter(include_in_schema=False)


@router.get("/", openapi_extra=declared(PUBLIC))
def root() -> RedirectResponse:
    return RedirectResponse("/ui/inbox", status_code=303)


@router.get("/ui/signin", openapi_extra=declared(PUBLIC), response_class=HTMLResponse)
def signin_form(
    request: Request, lang: LangDep, next: str = "/ui/inbox", error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        lang,
        None,
        next=safe_next(next),
        login_csrf=token,
        error=error,
        with_token=settings_of(request).tokens_open_pages,
        with_provider=request.app.state.oidc is not None,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.post("/ui/signin", openapi_extra=declared(PUBLIC))
def signin(
    request: Request,
    lang: LangDep,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/ui/inbox",
) -> Response:
    settings = settings_of(request)
    if not settings.tokens_open_pages:  # people sign in through the agency's provider
        return not_found(request, lang, None)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise CsrfRefused()
    services = services_of(request)
    source = {"method": "token", "source": request.client.host if request.client else ""}
    try:
        with services.units.writing() as uow:
            production = settings.environment == "production"
            session = sign_in(
                uow, services.clock, token, lifetimes(settings), production=production
            )
            request.app.state.identities.signed_in(uow, session.actor, source)
            uow.commit()
    except Unauthenticated as refused:
        # On the record, as every failed sign-in is (a few an hour per address: the rest are
        # counted, so guessing cannot flood the log).
        anonymous = Actor(None, f"token sign-in from {source['source']}", Role.anonymous)
        with services.units.writing() as uow:
            refusals: RefusalLog = request.app.state.refusals
            if refusals.record(
                uow, anonymous, "sign_in", 401, "unauthenticated", refused.detail, extra=source
            ):
                uow.commit()
        return RedirectResponse(
            f"/ui/signin?{urlencode({'next': next, 'error': '1'})}", status_code=303
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    session_cookie(request, response, session.id)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/ui/signout", openapi_extra=declared(SIGNED_IN))
async def signout(request: Request, session: SessionDep) -> Response:
    """End the session here and, for one opened through the provider, there too."""
    await checked_form(request, session)
    source = request.client.host if request.client else ""
    ended = await run_in_threadpool(_sign_out, request, session, source)
    provider = request.app.state.oidc
    there = None
    if ended is not None and ended.id_token and provider is not None:
        there = await provider.sign_out_url(ended.id_token)
    response = RedirectResponse(there or "/ui/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _sign_out(request: Request, session: BrowserSession, source: str) -> WebSession | None:
    with services_of(request).units.writing() as uow:
        ended = sign_out(uow, session.id)
        facts = {
            "method": "oidc" if ended is not None and ended.issuer else "token",
            "issuer": ended.issuer if ended else None,
            "subject": ended.subject if ended else None,
            "acr": ended.acr if ended else None,
            "source": source,
        }
        request.app.state.identities.signed_out(uow, session.actor, facts)
        uow.commit()
    return ended
