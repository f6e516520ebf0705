"""Signing in through the agency's identity provider: off to it, and back with who signed in."""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuthError
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.access import actor_of
from services.identities import Identities, SignedIn, SignInRefused
from services.policy import PUBLIC, declared
from services.web.oidc import AgencyProvider
from services.web.rendering import (
    LangDep,
    lifetimes,
    render,
    safe_next,
    services_of,
    session_cookie,
    settings_of,
)
from services.web.sessions import BrowserSession, ProviderSignIn, open_session

router = APIRouter(include_in_schema=False)


@router.get("/ui/oidc/start", openapi_extra=declared(PUBLIC))
async def start(request: Request, lang: LangDep, next: str = "/ui/inbox") -> Response:
    provider = _provider(request)
    if provider is None:  # no provider is set up: the sign-in page offers what there is
        return RedirectResponse("/ui/signin", status_code=303)
    browser_state(request)["next"] = safe_next(next)
    redirect: Response = await provider.client.authorize_redirect(
        request, provider.redirect_url, **provider.asked
    )
    return redirect


@router.get("/ui/oidc/callback", openapi_extra=declared(PUBLIC))
async def callback(request: Request, lang: LangDep) -> Response:
    provider = _provider(request)
    if provider is None:
        return RedirectResponse("/ui/signin", status_code=303)
    source = request.client.host if request.client else ""
    identities: Identities = request.app.state.identities
    try:
        token = await provider.client.authorize_access_token(request)
    except OAuthError as failed:
        reason = f"the provider said {failed.error}: {failed.description or ''}".strip(": ")
        await run_in_threadpool(_record_refusal, request, identities, None, reason, source)
        return _refused(request, lang, reason)
    who = SignedIn.of(str(token["userinfo"]["iss"]), token["userinfo"])
    try:
        session = await run_in_threadpool(
            _open, request, identities, who, str(token["id_token"]), source
        )
    except SignInRefused as refused:
        await run_in_threadpool(_record_refusal, request, identities, who, refused.reason, source)
        return _refused(request, lang, refused.reason)
    response = RedirectResponse(safe_next(browser_state(request).pop("next", "/ui/inbox")), 303)
    session_cookie(request, response, session.id)
    return response


def browser_state(request: Request) -> dict[str, Any]:
    """The signed cookie that carries a sign-in across the trip to the provider (Starlette's
    SessionMiddleware, where authlib keeps state, nonce and verifier): no database session."""
    state: dict[str, Any] = request.scope["session"]
    return state


def _provider(request: Request) -> AgencyProvider | None:
    provider: AgencyProvider | None = request.app.state.oidc
    return provider


def _open(
    request: Request, identities: Identities, who: SignedIn, id_token: str, source: str
) -> BrowserSession:
    services = services_of(request)
    with services.units.writing() as uow:
        user = identities.sign_in(uow, who, source)
        signed = ProviderSignIn(who.issuer, who.subject, who.acr, who.amr, id_token)
        session = open_session(
            uow, services.clock, actor_of(user), lifetimes(settings_of(request)), provider=signed
        )
        uow.commit()
    return session


def _record_refusal(
    request: Request, identities: Identities, who: SignedIn | None, reason: str, source: str
) -> None:
    with services_of(request).units.writing() as uow:
        identities.refused(uow, who, reason, source)
        uow.commit()


def _refused(request: Request, lang: str, reason: str) -> HTMLResponse:
    return render(request, "signin_refused.html", lang, None, status=403, reason=reason)
