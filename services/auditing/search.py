"""Searching the audit log, page by page in sequence order, as JSON or CSV."""

from __future__ import annotations

from services.cases.views import events_public
from services.exports import csv_text
from services.policy import require
from services.schemas import EventPublic, Page
from services.storage.audit_log import EventFilter
from services.storage.paging import decode_cursor, encode_cursor
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.audit_chain import format_time

CSV_FIELDS = [
    "seq",
    "at",
    "kind",
    "case_id",
    "transition",
    "from_state",
    "to_state",
    "actor_id",
    "actor_name",
    "role",
    "reason",
    "hash",
]


def search(
    uow: UnitOfWork, actor: Actor, where: EventFilter, limit: int, cursor: str | None = None
) -> Page[EventPublic]:
    """Events in sequence order, `limit` at a time; the log is too long to count, so no total."""
    require(actor, Action.audit_search)
    after_seq = int(decode_cursor(cursor, 1)[0]) if cursor else 0
    limit = max(1, min(limit, 1000))
    rows = uow.audit.search(where, after_seq, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=events_public(uow, rows),
        cursor=encode_cursor([rows[-1].seq]) if more else None,
    )


def search_csv(events: list[EventPublic]) -> str:
    return csv_text(
        CSV_FIELDS, ({**e.model_dump(mode="json"), "at": format_time(e.at)} for e in events)
    )
