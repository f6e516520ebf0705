"""The deadline keeper: takes due deadlines from the table, each exactly once, in its own transaction."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, update
from sqlmodel import Session, select

from services import audit
from services.audit import EventKind
from services.cases import CaseService
from services.schemas import DeadlinePage, DeadlinePublic, NotificationPublic
from services.storage.models import Case, CaseParty, Deadline, Notification, SchedulerHeartbeat
from workflow.actors import SYSTEM, Actor, Role
from workflow.audit_chain import format_time
from workflow.clock import assume_utc
from workflow.engine import TransitionRefused
from workflow.lifecycle import DeadlineKind, label_in


class ServiceJob(Protocol):
    kind: str

    def plan(self, session: Session, now: dt.datetime) -> None: ...

    def fire(self, session: Session, deadline: Deadline, now: dt.datetime) -> str: ...


@dataclass
class SweepResult:
    fired: int = 0
    flagged: int = 0
    cancelled: int = 0
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    outcomes: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.fired + self.flagged + self.cancelled


@dataclass(frozen=True)
class Liveness:
    """What /health and `grantflow deadlines status` report."""

    now: dt.datetime
    last_sweep_completed_at: dt.datetime | None
    oldest_overdue_due_at: dt.datetime | None
    pending: int
    max_sweep_age: dt.timedelta
    max_overdue: dt.timedelta

    @property
    def sweep_stale(self) -> bool:
        last = self.last_sweep_completed_at
        return last is None or self.now - last > self.max_sweep_age

    @property
    def deadlines_stale(self) -> bool:
        oldest = self.oldest_overdue_due_at
        return oldest is not None and self.now - oldest > self.max_overdue

    @property
    def ok(self) -> bool:
        return not (self.sweep_stale or self.deadlines_stale)

    def as_dict(self) -> dict[str, Any]:
        last, oldest = self.last_sweep_completed_at, self.oldest_overdue_due_at
        return {
            "status": "ok" if self.ok else "stale",
            "now": format_time(self.now),
            "scheduler": {
                "last_sweep_completed_at": format_time(last) if last else None,
                "seconds_since": round((self.now - last).total_seconds(), 1) if last else None,
                "stale": self.sweep_stale,
                "stale_after_seconds": self.max_sweep_age.total_seconds(),
            },
            "deadlines": {
                "pending": self.pending,
                "oldest_overdue_due_at": format_time(oldest) if oldest else None,
                "overdue_seconds": round((self.now - oldest).total_seconds(), 1)
                if oldest
                else None,
                "stale": self.deadlines_stale,
                "stale_after_seconds": self.max_overdue.total_seconds(),
            },
        }


class DeadlineKeeper:
    """Fires what is due, oldest first, as the actor `system`, through the cases' own path."""

    def __init__(
        self, cases: CaseService, worker: str | None = None, jobs: Iterable[ServiceJob] = ()
    ) -> None:
        self.cases = cases
        # The service's own recurring work, kept in the same table (signing the audit head).
        self.jobs = {job.kind: job for job in jobs}
        self.db = cases.db
        self.clock = cases.clock
        self.lifecycle = cases.catalogue.lifecycle
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        # Set to stop a sweep between two deadlines (each is its own transaction, so any point
        # between them is a safe place to stop).
        self.stopping = threading.Event()

    def sweep(self, limit: int | None = None) -> SweepResult:
        """Fire every deadline due now (or `limit` of them), then record the sweep."""
        result = SweepResult(started_at=self.clock.now())
        self._beat(started=result.started_at)
        for job in self.jobs.values():
            # Read first: an idle sweep takes no write lock unless a job has nothing planned.
            with self.db.reading() as session:
                planned = session.exec(
                    select(Deadline.id).where(
                        Deadline.kind == job.kind, Deadline.status == "pending"
                    )
                ).first()
            if planned is None:
                with self.db.writing() as session:
                    job.plan(session, result.started_at)
        while (limit is None or result.handled < limit) and not self.stopping.is_set():
            outcome = self.fire_next()
            if outcome is None:
                break
            if outcome != "raced":
                setattr(result, outcome, getattr(result, outcome) + 1)
        result.completed_at = self.clock.now()
        self._beat(completed=result.completed_at, fired=result.handled)
        return result

    def fire_next(self) -> str | None:
        """Claim the oldest due deadline and handle it, all in one transaction.

        The claim is a conditional update from pending; on PostgreSQL the candidate row is also
        locked with SKIP LOCKED, so schedulers sharing a database take different deadlines and
        never the same one twice. If this process dies before the commit, nothing happened and
        the deadline is still pending for whoever sweeps next.
        """
        now = self.clock.now()
        with self.db.writing(wait_for_disk=False) as session:
            deadline = session.exec(
                select(Deadline)
                .where(Deadline.status == "pending", Deadline.due_at <= now)
                .order_by(Deadline.due_at, Deadline.id)  # type: ignore[arg-type]
                .limit(1)
                .with_for_update(skip_locked=True, key_share=True)
            ).first()
            if deadline is None:
                return None
            claimed = session.execute(
                update(Deadline)
                .where(Deadline.id == deadline.id, Deadline.status == "pending")  # type: ignore[arg-type]
                .values(status="fired", fired_at=now, fired_by=self.worker)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                return "raced"  # another scheduler claimed it between our read and our update
            deadline.status, deadline.fired_at, deadline.fired_by = "fired", now, self.worker
            return self._handle(session, deadline, now)

    def next_due_at(self) -> dt.datetime | None:
        with self.db.reading() as session:
            return session.exec(
                select(func.min(Deadline.due_at)).where(Deadline.status == "pending")
            ).one()

    def liveness(self, max_sweep_age: dt.timedelta, max_overdue: dt.timedelta) -> Liveness:
        now = self.clock.now()
        with self.db.reading() as session:
            last = session.exec(select(func.max(SchedulerHeartbeat.last_sweep_completed_at))).one()
            oldest = session.exec(
                select(func.min(Deadline.due_at)).where(
                    Deadline.status == "pending", Deadline.due_at <= now
                )
            ).one()
            pending = session.exec(
                select(func.count()).select_from(Deadline).where(Deadline.status == "pending")
            ).one()
        last = assume_utc(last)
        oldest = assume_utc(oldest)
        return Liveness(now, last, oldest, pending, max_sweep_age, max_overdue)

    # -- handling one deadline -------------------------------------------------------------

    def _handle(self, session: Session, deadline: Deadline, now: dt.datetime) -> str:
        if deadline.kind in self.jobs:
            deadline.outcome = self.jobs[deadline.kind].fire(session, deadline, now)
            session.add(deadline)
            return "fired"
        kind = self.lifecycle.deadlines.get(deadline.kind)
        context = self._context(deadline, now)
        if kind is None:
            return self._cancel(
                session,
                deadline,
                now,
                f"the lifecycle has no deadline kind {deadline.kind!r}",
                context,
            )
        if deadline.case_id is None:
            return self._flag(session, deadline, kind, None, now, context)
        case = session.exec(
            select(Case).where(Case.id == deadline.case_id).with_for_update(key_share=True)
        ).one()
        if not self.lifecycle.deadline_applies(kind, case.state):
            reason = f"no longer applies: the case is in state {case.state}"
            return self._cancel(session, deadline, now, reason, context)
        if kind.fires is None:
            return self._flag(session, deadline, kind, case, now, context)
        try:
            result = self.cases.fire_in(
                session, SYSTEM, case.id, kind.fires, {}, details={"deadline": context}
            )  # type: ignore[arg-type]
        except TransitionRefused as refused:
            return self._cancel(
                session, deadline, now, f"{kind.fires} refused: {refused.detail}", context
            )
        deadline.outcome = f"{kind.fires}: {result.firing.from_state} -> {result.firing.to_state}"
        deadline.event_seq = result.event.seq
        session.add(deadline)
        return "fired"

    def _flag(
        self,
        session: Session,
        deadline: Deadline,
        kind: DeadlineKind,
        case: Case | None,
        now: dt.datetime,
        context: Mapping[str, Any],
    ) -> str:
        """A deadline that moves nothing: a notification and an audit event say it passed."""
        programme = self.cases.catalogue.programme(self.cases.programme_code(deadline.programme_id))
        language = programme.language if programme else "en"
        subject = label_in(kind.label, language, kind.name)
        if case is not None:
            subject = f"{subject}: {self.cases.reference(case)} {case.title}"
        elif deadline.call_code:
            subject = f"{subject}: {programme.title() if programme else ''} ({deadline.call_code})"
        session.add(
            Notification(
                case_id=deadline.case_id,
                programme_id=deadline.programme_id,
                deadline_id=deadline.id,
                kind=kind.name,
                audience=kind.notify or "caseworker",
                organisation_id=case.organisation_id
                if case is not None and kind.notify == "applicant"
                else None,
                subject=subject,
                body=label_in(kind.message, language, ""),
                created_at=now,
            )
        )
        event = audit.append(
            session,
            kind=EventKind.fact,
            actor=SYSTEM,
            now=now,
            case_id=deadline.case_id,
            transition="deadline_flagged",
            from_state=case.state if case is not None else None,
            case_version=case.version if case is not None else None,
            reason=subject,
            details={"deadline": context},
        )
        deadline.outcome, deadline.event_seq = f"flagged: {subject}", event.seq
        session.add(deadline)
        return "flagged"

    def _cancel(
        self,
        session: Session,
        deadline: Deadline,
        now: dt.datetime,
        reason: str,
        context: Mapping[str, Any],
    ) -> str:
        event = audit.append(
            session,
            kind=EventKind.fact,
            actor=SYSTEM,
            now=now,
            case_id=deadline.case_id,
            transition="deadline_cancelled",
            reason=reason,
            details={"deadline": context},
        )
        deadline.status, deadline.outcome, deadline.event_seq = "cancelled", reason, event.seq
        session.add(deadline)
        return "cancelled"

    def _context(self, deadline: Deadline, now: dt.datetime) -> dict[str, Any]:
        """What an automatic step says about itself: the rule, when it was due, when it ran."""
        code = self.cases.programme_code(deadline.programme_id)
        found = self.cases.catalogue.programmes.get(code)
        return {
            "id": deadline.id,
            "kind": deadline.kind,
            "rule": {
                "programme": code,
                "file": f"config/programmes/{found.path.name}" if found else None,
                "key": f"deadlines.{deadline.kind}",
            },
            "due_at": format_time(deadline.due_at),
            "ran_at": format_time(now),
            # Whole milliseconds: the audit log holds no floats, whose text differs by language.
            "late_by_ms": (now - deadline.due_at) // dt.timedelta(milliseconds=1),
            "clock": self.clock.name,
            "worker": self.worker,
        }

    def _beat(
        self,
        started: dt.datetime | None = None,
        completed: dt.datetime | None = None,
        fired: int = 0,
    ) -> None:
        with self.db.writing() as session:
            beat = session.get(SchedulerHeartbeat, self.worker)
            if beat is None:
                beat = SchedulerHeartbeat(
                    worker=self.worker, started_at=started or self.clock.now()
                )
            if started is not None:
                beat.last_sweep_started_at = started
            if completed is not None:
                beat.last_sweep_completed_at = completed
            beat.fired_total += fired
            session.add(beat)


# -- reading deadlines and notifications ---------------------------------------------------


@dataclass(frozen=True)
class DeadlineFilter:
    kind: str | None = None
    status: str | None = None
    case_id: int | None = None
    programme: str | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None


def deadline_public(cases: CaseService, deadline: Deadline) -> DeadlinePublic:
    code = cases.programme_code(deadline.programme_id)
    kind = cases.catalogue.lifecycle.deadlines.get(deadline.kind)
    programme = cases.catalogue.programme(code)
    language = programme.language if programme else "en"
    local = deadline.due_at.astimezone(ZoneInfo(deadline.time_zone))
    return DeadlinePublic(
        id=deadline.id,  # type: ignore[arg-type]
        case_id=deadline.case_id,
        programme=code,
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
    )


def list_deadlines(
    cases: CaseService, actor: Actor, where: DeadlineFilter, page: int, page_size: int
) -> DeadlinePage:
    query = select(Deadline)
    if where.kind is not None:
        query = query.where(Deadline.kind == where.kind)
    if where.status is not None:
        query = query.where(Deadline.status == where.status)
    if where.case_id is not None:
        query = query.where(Deadline.case_id == where.case_id)
    if where.programme is not None:
        query = query.where(Deadline.programme_id == cases.programme_id(where.programme))
    if where.due_before is not None:
        query = query.where(Deadline.due_at < where.due_before)
    if where.due_after is not None:
        query = query.where(Deadline.due_at >= where.due_after)
    if actor.role is Role.applicant:
        query = query.where(
            exists().where(
                CaseParty.case_id == Deadline.case_id,
                CaseParty.organisation_id == actor.organisation_id,
            )
        )
    with cases.db.reading() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(Deadline.due_at, Deadline.id)
            .offset((page - 1) * page_size)
            .limit(page_size)  # type: ignore[arg-type]
        ).all()
    return DeadlinePage(
        items=[deadline_public(cases, d) for d in rows], page=page, page_size=page_size, total=total
    )


def case_deadlines(cases: CaseService, actor: Actor, case_id: int) -> list[DeadlinePublic]:
    cases.get(actor, case_id)  # 404 unless the actor may see the case
    return list_deadlines(cases, actor, DeadlineFilter(case_id=case_id), 1, 1000).items


def list_notifications(
    cases: CaseService, actor: Actor, case_id: int | None, page: int, page_size: int
) -> list[NotificationPublic]:
    query = select(Notification)
    if case_id is not None:
        cases.get(actor, case_id)
        query = query.where(Notification.case_id == case_id)
    if actor.role is Role.applicant:
        query = query.where(
            Notification.audience == "applicant",
            Notification.organisation_id == actor.organisation_id,
        )
    with cases.db.reading() as session:
        rows = session.exec(
            query.order_by(Notification.id.desc()).offset((page - 1) * page_size).limit(page_size)  # type: ignore[union-attr]
        ).all()
    return [NotificationPublic.model_validate(n) for n in rows]
