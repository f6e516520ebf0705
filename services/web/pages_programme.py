"""A programme's dashboard and its cases as CSV, and the lifecycle drawn from states/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.errors import NotFound
from services.exports import csv_text
from services.policy import SIGNED_IN, declared
from services.storage.cases import CaseFilter
from services.storage.deadlines import DeadlineFilter
from services.web import diagram
from services.web.i18n import words
from services.web.rendering import (
    LangDep,
    SessionDep,
    local_time,
    money,
    not_found,
    render,
    services_of,
    time_left,
)
from workflow.access import Action
from workflow.lifecycle import label_in
from workflow.statuses import DeadlineStatus

router = APIRouter(include_in_schema=False)
CSV_FIELDS = [
    "reference",
    "title",
    "state",
    "organisation_id",
    "requested_amount",
    "granted_amount",
    "disbursed_amount",
    "eligible_spent",
    "to_repay",
    "currency",
    "created_at",
    "updated_at",
    # Added in 0.2, after the columns clients already read.
    "registry_number",
]


@router.get("/ui/programmes/{code}", openapi_extra=declared(SIGNED_IN), response_class=HTMLResponse)
def programme_page(request: Request, code: str, session: SessionDep, lang: LangDep) -> HTMLResponse:
    services = services_of(request)
    config = services.catalogue.programme(code)
    if config is None:
        return not_found(request, lang, session)
    lifecycle = services.catalogue.lifecycle
    programme_id = services.programmes.id_of(code)
    now = services.clock.now()
    with services.units.reading() as uow:
        row = uow.programmes.by_code(code)
        assert row is not None
        disbursed = uow.programmes.disbursed(programme_id)
        counts = services.reading.count_by_state(
            uow, session.actor, CaseFilter(programme_id=programme_id)
        )
        upcoming = services.deadlines.page(
            uow,
            session.actor,
            DeadlineFilter(
                status=DeadlineStatus.pending,
                programme_id=programme_id,
                due_after=now,
                due_before=now + dt.timedelta(days=30),
            ),
            50,
        )
    pool = config.budget.pool if config.budget else None
    before = config.budget.committed_before if config.budget else Decimal(0)
    bar = None
    if pool:
        parts = [
            ("before", before),
            ("committed", row.committed),
            ("left", max(Decimal(0), pool - before - row.committed)),
        ]
        bar = [(name, amount, float(amount / pool * 100)) for name, amount in parts]
    biggest = max(counts.values(), default=1)
    return render(
        request,
        "programme.html",
        lang,
        session,
        code=code,
        config=config,
        pool=pool,
        before=before,
        committed=row.committed,
        disbursed=disbursed,
        left=(pool - before - row.committed) if pool else None,
        bar=bar,
        counts=[
            (s, label_in(spec.label, lang, s), counts.get(s, 0), counts.get(s, 0) / biggest * 100)
            for s, spec in lifecycle.states.items()
            if counts.get(s)
        ],
        upcoming=upcoming.items,
        local=lambda at: local_time(services, at, code),
        time_left=lambda due: time_left(due, now, lang),
        fmt=money,
    )


@router.get("/ui/programmes/{code}/cases.csv", openapi_extra=declared(Action.case_read))
def programme_csv(request: Request, code: str, session: SessionDep) -> Response:
    services = services_of(request)
    if services.catalogue.programme(code) is None:
        raise NotFound(f"there is no programme {code!r}")
    where = CaseFilter(programme_id=services.programmes.id_of(code))
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    with services.units.reading() as uow:
        while True:
            listing = services.reading.page(
                uow, session.actor, where, limit=200, cursor=cursor, sort="id", descending=False
            )
            rows += (c.model_dump(mode="json") for c in listing.items)
            if listing.cursor is None:
                break
            cursor = listing.cursor
    return Response(
        csv_text(CSV_FIELDS, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-cases.csv"'},
    )


@router.get("/ui/lifecycle", openapi_extra=declared(SIGNED_IN), response_class=HTMLResponse)
def lifecycle_page(request: Request, session: SessionDep, lang: LangDep) -> HTMLResponse:
    lifecycle = services_of(request).catalogue.lifecycle
    t = words(lang)

    def state(name: str) -> str:
        return label_in(lifecycle.states[name].label, lang, name)

    # The drawing's text alternative: every step, from where to where, and who may take it.
    steps = [
        {
            "name": spec.name,
            "label": label_in(spec.label, lang, spec.name),
            "sources": [state(s) for s in spec.sources],
            "dest": state(spec.dest),
            "roles": [t.get(f"role_{r.value}", r.value) for r in sorted(spec.roles)],
        }
        for spec in lifecycle.transitions
    ]
    return render(
        request,
        "lifecycle.html",
        lang,
        session,
        diagram=diagram.render(lifecycle, lang, alt=t["diagram_alt"]),
        steps=steps,
        entry=[state(s) for s in lifecycle.entry_states],
    )
