"""The FastAPI application: wires settings, database, catalogue and clock to the routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from config.settings import Settings, get_settings
from services.api import problems
from services.api.routes import router
from services.api.routes_grants import router as grants_router
from services.auditing import DailyHeadSigning, signing_key
from services.cases import CaseService
from services.deadlines import DeadlineKeeper
from services.scheduler import Scheduler
from services.storage.db import Database
from services.storage.migrate import check_current
from services.web import pages
from workflow.catalogue import load_catalogue
from workflow.clock import Clock, SystemClock


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The app for `settings`; the database must be migrated (`grantflow db upgrade`) first."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    catalogue = load_catalogue(settings.programmes_dir)
    db = Database(settings.database_url)
    cases = CaseService(db, catalogue, clock)
    keeper = DeadlineKeeper(cases, jobs=[DailyHeadSigning(signing_key(settings))])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_current(db.engine)
        cases.register_programmes()
        scheduler = None
        if settings.run_scheduler:
            scheduler = Scheduler(keeper, dt.timedelta(seconds=settings.sweep_interval_seconds))
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        db.dispose()

    app = FastAPI(
        title="grantflow",
        summary="Case management for public grants, with an audit trail an auditor can verify.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.catalogue = catalogue
    app.state.db = db
    app.state.cases = cases
    app.state.keeper = keeper
    problems.install(app)
    app.include_router(router)
    app.include_router(grants_router)
    app.include_router(pages.router)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    return app
