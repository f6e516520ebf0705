"""Queries on the deadlines the service keeps and on the schedulers that keep them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from services.storage.cases import PENDING_KINDS
from services.storage.keeping import SERVICE_JOB, Deadline
from services.storage.models import CaseParty
from services.storage.paging import Key, page
from services.storage.rows import RowInsert
from workflow.clock import assume_utc
from workflow.statuses import DeadlineStatus

_DEADLINE = RowInsert(Deadline)
# A case's pending deadlines, skipping any a scheduler holds (see `pending_of_case`); built once,
# as a transition asks it each time.
_PENDING_OF_CASE = (
    select(Deadline)
    .where(Deadline.case_id == bindparam("case_id"), Deadline.status == DeadlineStatus.pending)
    .with_for_update(skip_locked=True, key_share=True)
)


@dataclass(frozen=True)
class DeadlineFilter:
    kind: str | None = None
    status: DeadlineStatus | None = None
    case_id: int | None = None
    programme_id: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    party: int | None = None  # an applicant's view: only its organisation's cases


class DeadlineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, deadline: Deadline) -> None:
        self.session.add(deadline)

    def schedule(self, deadlines: Iterable[Mapping[str, Any]]) -> None:
        """Add new deadlines (the deadline table's columns), written at once in one statement."""
        _DEADLINE.add_many(self.session, deadlines)

    def round_exists(self, programme_id: int, call_code: str, kind: str) -> bool:
        query = select(Deadline.id).where(
            Deadline.programme_id == programme_id,
            Deadline.call_code == call_code,
            Deadline.kind == kind,
            col(Deadline.case_id).is_(None),
        )
        return self.session.exec(query).first() is not None

    def get(self, deadline_id: int, *, lock: bool = False) -> Deadline | None:
        query = select(Deadline).where(Deadline.id == deadline_id)
        return self.session.exec(query.with_for_update(key_share=True) if lock else query).first()

    def plan_once(self, deadline: Deadline) -> None:
        """Add a deadline of the service's own unless one of its kind is already pending (two
        processes planning at once meet at the unique index, and the second adds nothing)."""
        values = {c: getattr(deadline, c) for c in Deadline.model_fields if c != "id"}
        insert = sqlite_insert if self.session.get_bind().dialect.name == "sqlite" else pg_insert
        self.session.execute(
            insert(Deadline)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["kind"], index_where=text(SERVICE_JOB))
        )

    def any_pending(self, kind: str) -> bool:
        query = select(Deadline.id).where(
            Deadline.kind == kind, Deadline.status == DeadlineStatus.pending
        )
        return self.session.exec(query).first() is not None

    def pending_of_case(
        self, case_id: int, of_kind: Callable[[str], bool] | None = None
    ) -> list[Deadline]:
        """The case's pending deadlines (of the kinds `of_kind` accepts), skipping any a
        scheduler holds right now (no lock cycle with a sweep that holds a deadline and waits
        for this case). Where the locked case brought its pending kinds along and `of_kind`
        accepts none of them, there is nothing to read or lock."""
        known: set[str] | None = self.session.info.get((PENDING_KINDS, case_id))
        if of_kind is not None and known is not None and not any(map(of_kind, known)):
            return []
        found = list(self.session.exec(_PENDING_OF_CASE, params={"case_id": case_id}).all())
        return found if of_kind is None else [d for d in found if of_kind(d.kind)]

    def pending_of_programme(self, programme_id: int, *, lock: bool = False) -> list[Deadline]:
        """The programme's pending deadlines, its rounds' and its cases', oldest first."""
        query = select(Deadline).where(
            Deadline.programme_id == programme_id, Deadline.status == DeadlineStatus.pending
        )
        if lock:
            query = query.with_for_update(key_share=True)
        return list(self.session.exec(query.order_by(col(Deadline.id))).all())

    def next_due_at(self) -> dt.datetime | None:
        query = select(func.min(Deadline.due_at)).where(Deadline.status == DeadlineStatus.pending)
        return assume_utc(self.session.exec(query).one())

    def next_due_of_cases(self, case_ids: list[int]) -> dict[int, dt.datetime]:
        if not case_ids:
            return {}
        query = (
            select(Deadline.case_id, func.min(Deadline.due_at))
            .where(col(Deadline.case_id).in_(case_ids), Deadline.status == DeadlineStatus.pending)
            .group_by(col(Deadline.case_id))
        )
        found: dict[int, dt.datetime] = {}
        for case_id, due in self.session.exec(query).all():
            at = assume_utc(due)
            if case_id is not None and at is not None:
                found[case_id] = at
        return found

    def page(
        self, where: DeadlineFilter, limit: int, cursor: str | None
    ) -> tuple[list[Deadline], str | None]:
        """Soonest first."""
        keys: list[Key] = [(col(Deadline.due_at), False), (col(Deadline.id), False)]
        query = _filtered(select(Deadline), where)
        return page(self.session, query, keys, limit, cursor, lambda d: [d.due_at, d.id])

    def count(self, where: DeadlineFilter) -> int:
        query = _filtered(select(func.count()).select_from(Deadline), where)
        return int(self.session.exec(query).one())


def _filtered(query: Any, where: DeadlineFilter) -> Any:
    for column, value in (
        (Deadline.kind, where.kind),
        (Deadline.status, where.status),
        (Deadline.case_id, where.case_id),
        (Deadline.programme_id, where.programme_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.due_before is not None:
        query = query.where(Deadline.due_at < where.due_before)
    if where.due_after is not None:
        query = query.where(Deadline.due_at >= where.due_after)
    if where.party is not None:
        query = query.where(
            exists().where(
                col(CaseParty.case_id) == Deadline.case_id,
                col(CaseParty.organisation_id) == where.party,
            )
        )
    return query
