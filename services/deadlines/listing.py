"""Reading the deadlines and the notification outbox, as each person may see them."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from services.cases.visibility import party_filter, visible_case
from services.policy import narrowed_to
from services.programmes import ProgrammeRegistry
from services.schemas import DeadlinePublic, NotificationPublic, Page
from services.storage.deadlines import DeadlineFilter
from services.storage.keeping import Deadline
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor, Role
from workflow.lifecycle import label_in


class DeadlineListing:
    def __init__(self, programmes: ProgrammeRegistry) -> None:
        self.programmes = programmes
        self.lifecycle = programmes.catalogue.lifecycle

    def page(
        self,
        uow: UnitOfWork,
        actor: Actor,
        where: DeadlineFilter,
        limit: int,
        cursor: str | None = None,
    ) -> Page[DeadlinePublic]:
        """Deadlines soonest first; an applicant sees its own cases' only."""
        where = dataclasses.replace(where, party=party_filter(actor))
        rows, next_cursor = uow.deadlines.page(where, limit, cursor)
        return Page(
            items=[self.public(d) for d in rows],
            cursor=next_cursor,
            total=uow.deadlines.count(where),
        )

    def of_case(self, uow: UnitOfWork, actor: Actor, case_id: int) -> list[DeadlinePublic]:
        visible_case(uow, actor, case_id)  # 404 unless the actor may see the case
        rows, _ = uow.deadlines.page(DeadlineFilter(case_id=case_id), 1000, None)
        return [self.public(d) for d in rows]

    def public(self, deadline: Deadline) -> DeadlinePublic:
        assert deadline.id is not None
        kind = self.lifecycle.deadlines.get(deadline.kind)
        programme = self.programmes.config_of(deadline.programme_id)
        language = programme.language if programme else "en"
        local = deadline.due_at.astimezone(ZoneInfo(deadline.time_zone))
        return DeadlinePublic(
            id=deadline.id,
            case_id=deadline.case_id,
            programme=self.programmes.code_of(deadline.programme_id),
            call_code=deadline.call_code,
            kind=deadline.kind,
            label=label_in(kind.label, language, deadline.kind) if kind else deadline.kind,
            fires=deadline.fires,
            due_at=deadline.due_at,
            due_local=local.strftime("%Y-%m-%d %H:%M %Z"),
            time_zone=deadline.time_zone,
            rule=deadline.rule,
            status=deadline.status,
            fired_at=deadline.fired_at,
            fired_by=deadline.fired_by,
            outcome=deadline.outcome,
            event_seq=deadline.event_seq,
            programme_version=deadline.programme_version,
        )

    def notifications(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int | None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[NotificationPublic]:
        """The outbox, newest first; an applicant reads what is addressed to its organisation."""
        if case_id is not None:
            visible_case(uow, actor, case_id)
        own = narrowed_to(actor, Action.notifications_read)
        rows, next_cursor = uow.notifications.page(
            case_id, Role.applicant.value if own else None, own, limit, cursor
        )
        return Page(items=[NotificationPublic.model_validate(n) for n in rows], cursor=next_cursor)
