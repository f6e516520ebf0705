"""Reading the deadlines and the notification outbox, as each person may see them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

from services.cases.visibility import party_filter, visible_case
from services.policy import narrowed_to
from services.programmes import ProgrammeRegistry
from services.schemas import DeadlinePublic, NotificationPublic, Page
from services.storage.deadlines import DeadlineFilter
from services.storage.keeping import Deadline
from services.storage.models import AuditEvent
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor, Role
from workflow.lifecycle import label_in
from workflow.statuses import DeadlineStatus


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

    def of_case(
        self, uow: UnitOfWork, actor: Actor, case_id: int, as_of: dt.datetime | None = None
    ) -> list[DeadlinePublic]:
        """The case's deadlines; `as_of`, as they stood then: those set by then, each due when
        it was due then (moves after it are undone from the audit log), fired only if by then."""
        visible_case(uow, actor, case_id)  # 404 unless the actor may see the case
        rows, _ = uow.deadlines.page(DeadlineFilter(case_id=case_id), 1000, None)
        if as_of is None:
            return [self.public(d) for d in rows]
        due_then = _due_before_moves(uow.audit.of_case(case_id), as_of)
        then = []
        for deadline in rows:
            if deadline.created_at > as_of:
                continue
            now = self.public(deadline)
            due = due_then.get(now.id, deadline.due_at)
            settled = deadline.fired_at is not None and deadline.fired_at <= as_of
            then.append(
                now.model_copy(
                    update={"due_at": due, "due_local": _local(due, deadline.time_zone)}
                    if settled
                    else {
                        "due_at": due,
                        "due_local": _local(due, deadline.time_zone),
                        "status": DeadlineStatus.pending,
                        "fired_at": None,
                        "fired_by": None,
                        "outcome": None,
                        "event_seq": None,
                    }
                )
            )
        return then

    def public(self, deadline: Deadline) -> DeadlinePublic:
        assert deadline.id is not None
        kind = self.lifecycle.deadlines.get(deadline.kind)
        programme = self.programmes.config_of(deadline.programme_id)
        language = programme.language if programme else "en"
        return DeadlinePublic(
            id=deadline.id,
            case_id=deadline.case_id,
            programme=self.programmes.code_of(deadline.programme_id),
            call_code=deadline.call_code,
            kind=deadline.kind,
            label=label_in(kind.label, language, deadline.kind) if kind else deadline.kind,
            fires=deadline.fires,
            due_at=deadline.due_at,
            due_local=_local(deadline.due_at, deadline.time_zone),
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


def _local(at: dt.datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


# The events that move a deadline, and where each says what it was due before the move.
MOVES = frozenset({"deadline_moved", "deadline_extended", "amendment_approved"})


def _due_before_moves(events: list[AuditEvent], as_of: dt.datetime) -> dict[int, dt.datetime]:
    """Each deadline's due time at `as_of`: every move recorded after it, undone newest first."""
    due: dict[int, dt.datetime] = {}
    for event in sorted(events, key=lambda e: e.seq, reverse=True):
        if event.transition not in MOVES or event.at <= as_of:
            continue
        details = json.loads(event.payload)["details"]
        moved = details.get("deadlines") or [
            {"deadline_id": details.get("deadline", {}).get("id"), "was": details.get("was")}
        ]
        for entry in moved:
            if entry.get("deadline_id") is not None and entry.get("was"):
                was = dt.datetime.fromisoformat(entry["was"].replace("Z", "+00:00"))
                due[entry["deadline_id"]] = was
    return due
