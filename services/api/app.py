"""The FastAPI application: wires settings, the services and the clock to the routes and pages."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from config.settings import Settings, get_settings
from services.api import problems, security
from services.api.routes_admin import router as admin_router
from services.api.routes_amendments import router as amendments_router
from services.api.routes_archive import router as archive_router
from services.api.routes_audit import router as audit_router
from services.api.routes_cases import router as cases_router
from services.api.routes_checklists import router as checklists_router
from services.api.routes_deadlines import router as deadlines_router
from services.api.routes_incidents import router as incidents_router
from services.api.routes_mail import router as mail_router
from services.api.routes_meta import router as meta_router
from services.api.routes_money import router as money_router
from services.api.routes_privacy import router as privacy_router
from services.api.routes_programmes import router as programmes_router
from services.api.routes_registry import router as registry_router
from services.api.routes_tranches import router as tranches_router
from services.container import (
    Services,
    build_services,
    limits_of,
    mail_options_of,
    upload_limits_of,
)
from services.entry import start_up
from services.identities import ClaimRules, Identities
from services.refusals import RefusalLog
from services.runtime import keeper_of, sender_of
from services.scheduler import Scheduler
from services.web import pages
from services.web.oidc import browser_state_secret, provider_of
from workflow.catalogue import load_catalogue
from workflow.clock import Clock, SystemClock

log = logging.getLogger("grantflow")


def _take_up_rules_in_force(services: Services) -> None:
    try:
        with services.units.reading() as uow:
            services.programmes.load(uow)
    except Exception as away:  # the rules in hand stay; the request meets the fault itself
        log.warning("could not read the programme versions in force: %s", away)


class RulesInForce:
    """A programme version applied by another process is taken up within one sweep interval,
    without a restart; the check costs nothing until it is due. Plain ASGI: no task or stream
    per request, as a `@app.middleware` function would cost."""

    def __init__(self, app: ASGIApp, services: Services, interval: float) -> None:
        self.app, self.services, self.interval = app, services, interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.services.programmes.stale(self.interval):
            await run_in_threadpool(_take_up_rules_in_force, self.services)
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The app for `settings`; the database must be migrated (`grantflow db upgrade`) first."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    # A broken programme file stops its own programme, loudly (a log line and an incident), and
    # leaves the others running.
    catalogue = load_catalogue(settings.programmes_dir, strict=False)
    services = build_services(
        settings.database_url,
        catalogue,
        clock,
        settings.data_dir,
        limits_of(settings),
        upload_limits_of(settings),
        mail_options_of(settings),
        {role: levels for role, levels in settings.oidc_assurance.items()},
    )
    keeper = keeper_of(settings, services)
    sender = sender_of(settings, services)
    identities = Identities(
        clock,
        ClaimRules(
            role_claim=settings.oidc_role_claim,
            roles=settings.oidc_roles,
            organisation_claim=settings.oidc_organisation_claim,
            provision=settings.oidc_provision,
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.units.check_schema()
        start_up(services)
        scheduler = None
        if settings.run_scheduler:
            interval = dt.timedelta(seconds=settings.sweep_interval_seconds)
            scheduler = Scheduler(keeper, interval, sender)
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        services.units.dispose()

    app = FastAPI(
        title="grantflow",
        summary="Case management for public grants, with an audit trail an auditor can verify.",
        version="0.2.0",
        lifespan=lifespan,
        docs_url=None,  # served by services.api.security, from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.refusals = RefusalLog(clock, settings.refusals_recorded_per_hour)
    app.state.keeper = keeper
    app.state.identities = identities
    app.state.oidc = provider_of(settings)
    if app.state.oidc is not None:
        # The sign-in's state, nonce and PKCE verifier, for the seconds between leaving for the
        # provider and coming back: a signed cookie, as authlib's Starlette client expects.
        app.add_middleware(
            SessionMiddleware,
            secret_key=browser_state_secret(settings),
            session_cookie="gf_signin_state",
            max_age=600,
            same_site="lax",
            https_only=settings.behind_https,
        )
    problems.install(app)

    app.add_middleware(RulesInForce, services=services, interval=settings.sweep_interval_seconds)

    routers = (
        cases_router,
        checklists_router,
        deadlines_router,
        incidents_router,
        money_router,
        tranches_router,
        programmes_router,
        audit_router,
        archive_router,
        admin_router,
        mail_router,
        privacy_router,
        amendments_router,
        registry_router,
    )
    for router in (*routers, meta_router):
        app.include_router(router)
    app.include_router(pages.router)
    pages.install(app)
    origin = urlsplit(settings.oidc_issuer)
    security.install(app, [f"{origin.scheme}://{origin.netloc}"] if settings.oidc_issuer else [])
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    return app
