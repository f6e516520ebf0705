"""Queries on the deadlines the service keeps and on the schedulers that keep them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import exists, func, update
from sqlmodel import Session, col, select

from services.storage.models import CaseParty, Deadline, SchedulerHeartbeat
from services.storage.paging import Key, page
from workflow.clock import assume_utc
from workflow.statuses import DeadlineStatus


class Claim(Enum):
    """What a claim found instead of a deadline."""

    nothing_due = "nothing due"
    raced = "raced"


NOTHING_DUE, RACED = Claim.nothing_due, Claim.raced


@dataclass(frozen=True)
class DeadlineFilter:
    kind: str | None = None
    status: DeadlineStatus | None = None
    case_id: int | None = None
    programme_id: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    party: int | None = None  # an applicant's view: only its organisation's cases


@dataclass(frozen=True)
class KeeperFigures:
    last_sweep: dt.datetime | None
    oldest_overdue: dt.datetime | None
    pending: int


class DeadlineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, deadline: Deadline) -> None:
        self.session.add(deadline)

    def save(self, deadline: Deadline) -> None:
        self.session.add(deadline)

    def round_exists(self, programme_id: int, call_code: str, kind: str) -> bool:
        query = select(Deadline.id).where(
            Deadline.programme_id == programme_id,
            Deadline.call_code == call_code,
            Deadline.kind == kind,
            col(Deadline.case_id).is_(None),
        )
        return self.session.exec(query).first() is not None

    def any_pending(self, kind: str) -> bool:
        query = select(Deadline.id).where(
            Deadline.kind == kind, Deadline.status == DeadlineStatus.pending
        )
        return self.session.exec(query).first() is not None

    def pending_of_case(self, case_id: int) -> list[Deadline]:
        """The case's pending deadlines, skipping any a scheduler holds right now (no lock cycle
        with a sweep that holds a deadline and waits for this case)."""
        query = (
            select(Deadline)
            .where(Deadline.case_id == case_id, Deadline.status == DeadlineStatus.pending)
            .with_for_update(skip_locked=True, key_share=True)
        )
        return list(self.session.exec(query).all())

    def claim_next(self, now: dt.datetime, worker: str) -> Deadline | Claim:
        """Claim the oldest due deadline for `worker`: the deadline, NOTHING_DUE, or RACED when
        another scheduler claimed it between our read and our update.

        The claim is a conditional update from pending; on PostgreSQL the candidate row is also
        locked with SKIP LOCKED, so schedulers sharing a database take different deadlines and
        never the same one twice.
        """
        query = (
            select(Deadline)
            .where(Deadline.status == DeadlineStatus.pending, Deadline.due_at <= now)
            .order_by(col(Deadline.due_at), col(Deadline.id))
            .limit(1)
            .with_for_update(skip_locked=True, key_share=True)
        )
        deadline = self.session.exec(query).first()
        if deadline is None:
            return NOTHING_DUE
        claimed = self.session.execute(
            update(Deadline)
            .where(col(Deadline.id) == deadline.id, col(Deadline.status) == DeadlineStatus.pending)
            .values(status=DeadlineStatus.fired, fired_at=now, fired_by=worker)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return RACED
        deadline.status, deadline.fired_at, deadline.fired_by = DeadlineStatus.fired, now, worker
        return deadline

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

    def figures(self, now: dt.datetime) -> KeeperFigures:
        last = self.session.exec(select(func.max(SchedulerHeartbeat.last_sweep_completed_at))).one()
        oldest = self.session.exec(
            select(func.min(Deadline.due_at)).where(
                Deadline.status == DeadlineStatus.pending, Deadline.due_at <= now
            )
        ).one()
        pending = self.session.exec(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.status == DeadlineStatus.pending)
        ).one()
        return KeeperFigures(assume_utc(last), assume_utc(oldest), int(pending))

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

    def beat(
        self,
        worker: str,
        now: dt.datetime,
        started: dt.datetime | None = None,
        completed: dt.datetime | None = None,
        fired: int = 0,
    ) -> None:
        beat = self.session.get(SchedulerHeartbeat, worker)
        if beat is None:
            beat = SchedulerHeartbeat(worker=worker, started_at=started or now)
        if started is not None:
            beat.last_sweep_started_at = started
        if completed is not None:
            beat.last_sweep_completed_at = completed
        beat.fired_total += fired
        self.session.add(beat)


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
