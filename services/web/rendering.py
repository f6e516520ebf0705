"""What every page shares: the templates, the signed-in session, the language, CSRF, formatting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from config.settings import Settings
from services.container import Services
from services.policy import allows
from services.web.i18n import LANGUAGE_NAMES, LANGUAGES, words
from services.web.sessions import SESSION_COOKIE, BrowserSession, Lifetimes, csrf_ok, current, touch
from workflow.access import Action

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
PAGE_SIZE = 25
# A session's last use is written at most this often: reading a page should not mean writing.
TOUCH_EVERY = dt.timedelta(minutes=1)
NBSP = "\u00a0"  # Swedish and Danish group thousands with a (non-breaking) space


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfRefused(Exception):
    pass


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("gf_lang") or "en"
    return chosen if chosen in LANGUAGES else "en"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def lifetimes(settings: Settings) -> Lifetimes:
    return Lifetimes(
        longest=dt.timedelta(hours=settings.session_max_hours),
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
    )


def signed_in(request: Request) -> BrowserSession:
    """The browser's session, if it still holds; else to the sign-in page."""
    services = services_of(request)
    with services.units.reading() as uow:
        session = current(
            uow,
            services.clock,
            request.cookies.get(SESSION_COOKIE),
            lifetimes(settings_of(request)),
        )
    if session is None:
        raise SignInRequired(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
    if session.last_seen is None or services.clock.now() - session.last_seen > TOUCH_EVERY:
        with services.units.writing() as uow:
            touch(uow, services.clock, session.id)
            uow.commit()
    return session


def session_if_any(request: Request) -> BrowserSession | None:
    """The browser's session on a public page: the header shows the way on, nobody is sent away."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    services = services_of(request)
    with services.units.reading() as uow:
        return current(uow, services.clock, cookie, lifetimes(settings_of(request)))


SessionDep = Annotated[BrowserSession, Depends(signed_in)]
LangDep = Annotated[str, Depends(language)]


def render(
    request: Request,
    name: str,
    lang: str,
    session: BrowserSession | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    services = services_of(request)
    catalogue = services.catalogue
    open_incidents = 0
    if session is not None and allows(session.actor, Action.incidents_read):
        # Shown in the navigation, so a failure is seen where people already look.
        with services.units.reading() as uow:
            open_incidents = uow.incidents.count_open()
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": words(lang),
            "lang": lang,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "session": session,
            "programmes": sorted(catalogue.programmes.items()),
            "lang_url": lambda code: with_query(request, lang=code),
            "open_incidents": open_incidents,
            # The policy decides which links and buttons a page shows, as it decides the routes.
            "may": lambda action: session is not None and allows(session.actor, Action(action)),
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("gf_lang", lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


def not_found(request: Request, lang: str, session: BrowserSession | None) -> HTMLResponse:
    return render(
        request, "message.html", lang, session, status=404, message=words(lang)["not_found"]
    )


def session_cookie(request: Request, response: Response, session_id: str) -> None:
    """The browser's session cookie: HttpOnly, sent on links from elsewhere (lax), HTTPS-only
    where the service is served over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings_of(request).behind_https,
    )


def install(app: FastAPI) -> None:
    """Handlers that turn sign-in and CSRF refusals into pages rather than JSON."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/ui/signin?{urlencode({'next': exc.next_url})}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        lang = language(request)
        return render(request, "message.html", lang, None, status=403, message=words(lang)["csrf"])


async def checked_form(request: Request, session: BrowserSession) -> FormData:
    form = await request.form()
    if not csrf_ok(session.csrf_token, str(form.get("csrf") or "")):
        raise CsrfRefused()
    return form


def local_time(services: Services, at: dt.datetime | None, programme: str) -> str:
    if at is None:
        return ""
    config = services.catalogue.programme(programme)
    zone = config.zone if config else ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def time_left(due: dt.datetime, now: dt.datetime, lang: str) -> str:
    seconds = (due - now).total_seconds()
    late = seconds < 0
    seconds = abs(seconds)
    days, hours = int(seconds // 86400), int(seconds % 86400 // 3600)
    span = f"{days} d {hours} h" if days else f"{hours} h {int(seconds % 3600 // 60)} min"
    return f"{words(lang)['overdue']} {span}" if late else span


def money(amount: Decimal | str | None) -> str:
    if amount is None or amount == "":
        return "–"
    value = Decimal(str(amount))
    whole, _, cents = f"{value:,.2f}".partition(".")
    return whole.replace(",", NBSP) + "," + cents


def with_query(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{request.url.path}?{urlencode(params)}"


def safe_next(next_url: str) -> str:
    """Only a path on this site: never an open redirect."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/ui/inbox"
