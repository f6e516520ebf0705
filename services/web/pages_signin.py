"""Signing in with a token, and out again."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.errors import Unauthenticated
from services.policy import PUBLIC, SIGNED_IN, declared
from services.web.rendering import (
    CsrfRefused,
    LangDep,
    SessionDep,
    checked_form,
    lifetimes,
    render,
    safe_next,
    services_of,
    settings_of,
)
from services.web.sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE, csrf_ok, sign_in, sign_out

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
        request, "signin.html", lang, None, next=safe_next(next), login_csrf=token, error=error
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
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise CsrfRefused()
    services = services_of(request)
    try:
        with services.units.writing() as uow:
            settings = settings_of(request)
            production = settings.environment == "production"
            session = sign_in(
                uow, services.clock, token, lifetimes(settings), production=production
            )
            uow.commit()
    except Unauthenticated:
        return RedirectResponse(
            f"/ui/signin?{urlencode({'next': next, 'error': '1'})}", status_code=303
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings_of(request).behind_https,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/ui/signout", openapi_extra=declared(SIGNED_IN))
async def signout(request: Request, session: SessionDep) -> Response:
    await checked_form(request, session)
    with services_of(request).units.writing() as uow:
        sign_out(uow, session.id)
        uow.commit()
    response = RedirectResponse("/ui/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
