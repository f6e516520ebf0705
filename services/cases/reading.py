"""Reading cases: one case, a list, counts per state, its history, and the case as it stood."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from services.cases.views import CaseViews, events_public
from services.cases.visibility import party_filter, shown_case, visible_case
from services.errors import NotFound
from services.privacy.sealing import open_bodies
from services.programmes import ProgrammeRegistry
from services.schemas import CasePage, CasePublic, EventPublic
from services.storage.cases import CaseFilter
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.read_model import fold

MAX_PAGE_SIZE = 200
# A list counts its cases up to this many; beyond it, its total is null ("too many to count on
# every request"): an exact count of a million cases would cost more than the page itself.
COUNTED_UP_TO = 10_000


class CaseReading:
    def __init__(self, programmes: ProgrammeRegistry, views: CaseViews) -> None:
        self.programmes = programmes
        self.views = views

    def get(self, uow: UnitOfWork, actor: Actor, case_id: int) -> CasePublic:
        """The case, read in one statement (a unit of work `reading(one_statement=True)`)."""
        found = shown_case(uow, actor, case_id)
        return self.views.public(uow, found.case, found.parties)

    def page(
        self,
        uow: UnitOfWork,
        actor: Actor,
        where: CaseFilter,
        *,
        limit: int,
        cursor: str | None = None,
        sort: str = "id",
        descending: bool = True,
    ) -> CasePage:
        """Up to `limit` visible cases after `cursor`; `next` is the cursor for the rest."""
        where = dataclasses.replace(where, party=party_filter(actor))
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        rows, next_cursor = uow.cases.page(where, sort, descending, limit, cursor)
        total: int | None = uow.cases.count(where, up_to=COUNTED_UP_TO)
        return CasePage(
            items=self.views.many(uow, rows),
            cursor=next_cursor,
            total=None if total is not None and total > COUNTED_UP_TO else total,
        )

    def count_by_state(
        self, uow: UnitOfWork, actor: Actor, where: CaseFilter, *, up_to: int | None = None
    ) -> dict[str, int]:
        """How many visible cases are in each state (the `state` filter itself left out); with
        `up_to`, a count above it stands for "more than that"."""
        where = dataclasses.replace(where, state=None, party=party_filter(actor))
        states = self.programmes.catalogue.lifecycle.states
        return uow.cases.count_by_state(where, None if up_to is None else (states, up_to))

    def history(
        self, uow: UnitOfWork, actor: Actor, case_id: int, include_refusals: bool = False
    ) -> list[EventPublic]:
        visible_case(uow, actor, case_id)
        return events_public(uow, uow.audit.of_case(case_id, include_refusals))

    def as_of(self, uow: UnitOfWork, actor: Actor, case_id: int, at: dt.datetime) -> CasePublic:
        """The case as it stood at `at`, rebuilt from its audit events alone."""
        case = visible_case(uow, actor, case_id)
        payloads = uow.audit.changes_of_case(case_id, at)
        if not payloads:
            raise NotFound(f"case {case_id} did not exist at {at.isoformat()}", case_id=case_id)
        view = fold(open_bodies(uow, (json.loads(p) for p in payloads)))
        programme = self.programmes.code_of(case.programme_id)
        return self.views.folded(case_id, programme, {**view, "as_of": at})

    def zone_of(self, uow: UnitOfWork, actor: Actor, case_id: int) -> dt.tzinfo:
        """The time zone of the case's programme, in which its dates are read."""
        config = self.programmes.config_of(visible_case(uow, actor, case_id).programme_id)
        return config.zone if config else dt.UTC
