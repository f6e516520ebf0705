"""The inbox: the cases a person may see, filtered, counted per state and sorted, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.cases.reading import COUNTED_UP_TO
from services.numbers import whole_number
from services.organisations import list_organisations
from services.policy import declared
from services.storage.cases import SORTS, CaseFilter
from services.web.rendering import (
    PAGE_SIZE,
    LangDep,
    SessionDep,
    local_time,
    money,
    render,
    services_of,
    with_query,
)
from workflow.access import Action
from workflow.lifecycle import label_in

router = APIRouter(include_in_schema=False)


@router.get("/ui/inbox", openapi_extra=declared(Action.case_read), response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    programme: str = "",
    state: str = "",
    organisation: str = "",
    needs_me: str = "",
    q: str = "",
    sort: str = "updated_at",
    dir: str = "desc",
    cursor: str = "",
) -> HTMLResponse:
    # Query strings from a form: an empty select is "", so parse leniently rather than refuse.
    organisation_id = whole_number(organisation)
    wants_mine = needs_me.lower() in ("true", "on", "1")
    sort = sort if sort in SORTS else "updated_at"
    services = services_of(request)
    lifecycle = services.catalogue.lifecycle
    actor = session.actor
    mine = tuple(
        sorted({s for t in lifecycle.transitions if actor.role in t.roles for s in t.sources})
    )
    where = CaseFilter(
        programme_id=services.programmes.id_of(programme) if programme else None,
        state=state if state in lifecycle.states else None,
        organisation_id=organisation_id,
        needs_states=mine if wants_mine else None,
        overdue_at=services.clock.now() if wants_mine else None,
        text=q[:100] or None,
    )
    with services.units.reading() as uow:
        listing = services.reading.page(
            uow,
            actor,
            where,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            sort=sort,
            descending=dir != "asc",
        )
        # Counted up to a bound: the inbox shows "10000+" where an exact count would read them all.
        counts = services.reading.count_by_state(uow, actor, where, up_to=COUNTED_UP_TO)
        orgs = {o.id: o.name for o in list_organisations(uow, actor)}
        next_due = uow.deadlines.next_due_of_cases([c.id for c in listing.items])
    return render(
        request,
        "inbox.html",
        lang,
        session,
        listing=listing,
        counts=[
            (s, label_in(lifecycle.states[s].label, lang, s), counts[s])
            for s in lifecycle.states
            if counts.get(s)
        ],
        states=[(s, label_in(spec.label, lang, s)) for s, spec in lifecycle.states.items()],
        state_label=lambda s: label_in(lifecycle.states[s].label, lang, s),
        orgs=orgs,
        filters={
            "programme": programme,
            "state": state,
            "organisation": organisation,
            "needs_me": needs_me,
            "q": q[:100],
            "sort": sort,
            "dir": dir,
        },
        sort_url=lambda column: with_query(
            request,
            sort=column,
            dir="asc" if sort == column and dir == "desc" else "desc",
            cursor=None,
        ),
        next_url=with_query(request, cursor=listing.cursor) if listing.cursor else None,
        first_url=with_query(request, cursor=None) if cursor else None,
        state_url=lambda s: with_query(request, state=s, cursor=None),
        next_due=next_due,
        now=services.clock.now(),
        local=lambda at, code: local_time(services, at, code),
        money=money,
        up_to=COUNTED_UP_TO,
    )
