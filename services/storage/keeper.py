"""Queries on how the deadline keeper is doing: each scheduler's heartbeat, and the figures
/health and /metrics report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.storage.keeping import Deadline, SchedulerHeartbeat
from workflow.clock import assume_utc
from workflow.statuses import DeadlineStatus


@dataclass(frozen=True)
class KeeperFigures:
    last_sweep: dt.datetime | None
    oldest_overdue: dt.datetime | None
    pending: int
    due: int  # pending and due now
    failing: int  # waiting for a retry or for a person
    fired_total: int  # by every scheduler since it first swept


class KeeperRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def figures(self, now: dt.datetime) -> KeeperFigures:
        last = self.session.exec(select(func.max(SchedulerHeartbeat.last_sweep_completed_at))).one()
        oldest = self.session.exec(
            select(func.min(Deadline.due_at)).where(
                Deadline.status == DeadlineStatus.pending, Deadline.due_at <= now
            )
        ).one()

        def count(*where: Any) -> int:
            return int(
                self.session.exec(select(func.count()).select_from(Deadline).where(*where)).one()
            )

        pending = count(Deadline.status == DeadlineStatus.pending)
        due = count(Deadline.status == DeadlineStatus.pending, Deadline.due_at <= now)
        failing = count(col(Deadline.status).in_([DeadlineStatus.failing, DeadlineStatus.held]))
        fired = self.session.exec(
            select(func.coalesce(func.sum(SchedulerHeartbeat.fired_total), 0))
        ).one()
        return KeeperFigures(
            assume_utc(last), assume_utc(oldest), pending, due, failing, int(fired or 0)
        )

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
