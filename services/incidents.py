"""Incidents: one deadline or programme file that failed, kept where a person sees it and acts on
it (retry, move, cancel, each audited), while everything else goes on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from config.settings import Settings
from services import audit
from services.errors import Conflict, NotFound
from services.mail.outbox import Outbox, Word
from services.policy import require
from services.schemas import Page
from services.storage.keeping import Deadline, Incident
from services.storage.outbox import Mail
from services.storage.unit_of_work import UnitOfWork
from services.times import Instant
from workflow.access import Action
from workflow.actors import SYSTEM, Actor
from workflow.audit_chain import format_time
from workflow.clock import Clock
from workflow.statuses import DeadlineStatus, EventKind, IncidentKind, IncidentStatus

MAX_ERROR = 4000


class IncidentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject: str
    deadline_id: int | None
    case_id: int | None
    programme_id: int | None
    mail_id: int | None = None
    error: str
    attempts: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    status: str
    resolution: str | None
    resolved_by: int | None
    resolved_at: dt.datetime | None


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


class Move(Reason):
    due_at: Instant = Field(description="the new due time, with its offset")


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing deadline is tried again before it waits for a person."""

    max_attempts: int = 5
    first_wait: dt.timedelta = dt.timedelta(minutes=1)
    longest_wait: dt.timedelta = dt.timedelta(hours=6)

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.deadline_max_attempts,
            first_wait=dt.timedelta(seconds=settings.deadline_first_retry_seconds),
            longest_wait=dt.timedelta(seconds=settings.deadline_longest_retry_seconds),
        )

    def wait_after(self, attempts: int) -> dt.timedelta:
        """1, 2, 4, ... times the first wait, never more than the longest."""
        return min(self.first_wait * (1 << max(0, attempts - 1)), self.longest_wait)


def deadline_failed(
    uow: UnitOfWork,
    deadline_id: int,
    error: str,
    now: dt.datetime,
    policy: RetryPolicy,
) -> Incident | None:
    """Count a failed attempt at a deadline (its firing was rolled back), plan the next one or
    hold it for a person, and open or update its incident. None if someone else settled the
    deadline meanwhile."""
    deadline = uow.deadlines.get(deadline_id, lock=True)
    if deadline is None or deadline.status not in (DeadlineStatus.pending, DeadlineStatus.failing):
        return None
    deadline.attempts += 1
    if deadline.attempts >= policy.max_attempts:
        deadline.status, deadline.retry_at = DeadlineStatus.held, None
    else:
        deadline.status = DeadlineStatus.failing
        deadline.retry_at = now + policy.wait_after(deadline.attempts)
    uow.deadlines.save(deadline)
    incident = _opened(
        uow,
        IncidentKind.deadline,
        f"deadline:{deadline_id}",
        error,
        now,
        deadline_id=deadline_id,
        case_id=deadline.case_id,
        programme_id=deadline.programme_id,
    )
    incident.attempts = deadline.attempts
    uow.incidents.save(incident)
    if incident.attempts == 1:
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=SYSTEM,
            now=now,
            case_id=deadline.case_id,
            transition="incident_opened",
            reason=error[:500],
            details={"incident": incident.id, "deadline": _deadline_facts(deadline)},
        )
    return incident


def deadline_fired(uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> None:
    """A deadline that failed before has fired: its incident is over."""
    if deadline.attempts == 0:
        return
    incident = uow.incidents.open_for(IncidentKind.deadline, f"deadline:{deadline.id}")
    if incident is not None:
        _resolve(incident, f"fired at attempt {deadline.attempts + 1}", None, now)
        uow.incidents.save(incident)


def mail_failed(uow: UnitOfWork, mail: Mail, error: str, now: dt.datetime) -> Incident:
    """A message that is dead, or whose fate is unknown, waits for a person's word."""
    incident = _opened(
        uow,
        IncidentKind.mail,
        f"mail:{mail.id}",
        error,
        now,
        mail_id=mail.id,
        case_id=mail.case_id,
        programme_id=mail.programme_id,
    )
    incident.attempts = max(mail.attempts, 1)
    uow.incidents.save(incident)
    return incident


def mail_settled(
    uow: UnitOfWork, mail: Mail, resolution: str, actor: Actor | None, now: dt.datetime
) -> None:
    """A person said what becomes of a message: its incident is over."""
    incident = uow.incidents.open_for(IncidentKind.mail, f"mail:{mail.id}")
    if incident is not None:
        _resolve(incident, resolution, actor, now)
        uow.incidents.save(incident)


def programme_files(
    uow: UnitOfWork, broken: dict[str, list[str]], loaded: set[str], now: dt.datetime
) -> None:
    """At start-up: an incident for each programme file that cannot be loaded, and the end of
    the incident of each that loads again."""
    for name, problems in broken.items():
        incident = _opened(uow, IncidentKind.programme_file, name, "; ".join(problems), now)
        uow.incidents.save(incident)
    for incident in uow.incidents.open_of_kind(IncidentKind.programme_file):
        if incident.subject in loaded:
            _resolve(incident, "the file loads again", None, now)
            uow.incidents.save(incident)


class Incidents:
    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self.clock = clock
        self.outbox = outbox

    def page(
        self,
        uow: UnitOfWork,
        actor: Actor,
        status: IncidentStatus | None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[IncidentPublic]:
        require(actor, Action.incidents_read)
        rows, next_cursor = uow.incidents.page(status, limit, cursor)
        return Page(
            items=[IncidentPublic.model_validate(i) for i in rows],
            cursor=next_cursor,
            total=uow.incidents.count_open() if status is IncidentStatus.open else None,
        )

    def retry(self, uow: UnitOfWork, actor: Actor, incident_id: int, why: Reason) -> IncidentPublic:
        """Try the deadline again at the keeper's next sweep; the incident stays open until it
        fires. A message's incident: send it again (a person's word that it may go twice)."""
        mail_id = self._mail_of(uow, incident_id)
        if mail_id is not None:
            self.outbox.settle(uow, actor, mail_id, "resend", Word(reason=why.reason))
            return self._public(uow, incident_id)
        incident, deadline = self._deadline_incident(uow, actor, incident_id)
        deadline.status, deadline.retry_at = DeadlineStatus.failing, self.clock.now()
        uow.deadlines.save(deadline)
        self._audit(uow, actor, "incident_retry", deadline, why.reason, incident)
        return IncidentPublic.model_validate(incident)

    def move(self, uow: UnitOfWork, actor: Actor, incident_id: int, move: Move) -> IncidentPublic:
        """Give the deadline a new due time and a fresh count of attempts."""
        incident, deadline = self._deadline_incident(uow, actor, incident_id)
        before = deadline.due_at
        deadline.due_at, deadline.status = move.due_at, DeadlineStatus.pending
        deadline.attempts, deadline.retry_at = 0, None
        uow.deadlines.save(deadline)
        now = self.clock.now()
        _resolve(incident, f"moved to {format_time(move.due_at)}: {move.reason}", actor, now)
        uow.incidents.save(incident)
        self._audit(
            uow,
            actor,
            "deadline_moved",
            deadline,
            move.reason,
            incident,
            {"was": format_time(before)},
        )
        return IncidentPublic.model_validate(incident)

    def cancel(
        self, uow: UnitOfWork, actor: Actor, incident_id: int, why: Reason
    ) -> IncidentPublic:
        """The deadline will not fire (or the message will not go): a person decided so, and
        said why."""
        mail_id = self._mail_of(uow, incident_id)
        if mail_id is not None:
            self.outbox.settle(uow, actor, mail_id, "cancel", Word(reason=why.reason))
            return self._public(uow, incident_id)
        incident, deadline = self._deadline_incident(uow, actor, incident_id)
        now = self.clock.now()
        event = self._audit(uow, actor, "deadline_cancelled", deadline, why.reason, incident)
        deadline.status, deadline.retry_at = DeadlineStatus.cancelled, None
        deadline.fired_at, deadline.event_seq = now, event.seq
        deadline.outcome = f"cancelled by {actor.name}: {why.reason}"
        uow.deadlines.save(deadline)
        _resolve(incident, f"cancelled: {why.reason}", actor, now)
        uow.incidents.save(incident)
        return IncidentPublic.model_validate(incident)

    def _mail_of(self, uow: UnitOfWork, incident_id: int) -> int | None:
        incident = uow.incidents.get(incident_id)
        if incident is None or incident.kind != IncidentKind.mail:
            return None
        return incident.mail_id

    def _public(self, uow: UnitOfWork, incident_id: int) -> IncidentPublic:
        return IncidentPublic.model_validate(uow.incidents.get(incident_id))

    def _deadline_incident(
        self, uow: UnitOfWork, actor: Actor, incident_id: int
    ) -> tuple[Incident, Deadline]:
        require(actor, Action.incidents_act)
        incident = uow.incidents.get(incident_id, lock=True)
        if incident is None:
            raise NotFound(f"there is no incident {incident_id}")
        if incident.status != IncidentStatus.open:
            raise Conflict(f"incident {incident_id} is {incident.status}: {incident.resolution}")
        deadline = uow.deadlines.get(incident.deadline_id or 0, lock=True)
        if incident.kind != IncidentKind.deadline or deadline is None:
            raise Conflict(
                f"incident {incident_id} is about {incident.subject}: mend the file and restart"
            )
        return incident, deadline

    def _audit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        what: str,
        deadline: Deadline,
        reason: str,
        incident: Incident,
        extra: dict[str, Any] | None = None,
    ) -> audit.Recorded:
        return audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=self.clock.now(),
            case_id=deadline.case_id,
            transition=what,
            reason=reason,
            details={
                "incident": incident.id,
                "deadline": _deadline_facts(deadline),
                **(extra or {}),
            },
        )


def _opened(
    uow: UnitOfWork, kind: IncidentKind, subject: str, error: str, now: dt.datetime, **about: Any
) -> Incident:
    incident = uow.incidents.open_for(kind, subject)
    if incident is None:
        return Incident(
            kind=kind,
            subject=subject,
            error=error[:MAX_ERROR],
            first_seen=now,
            last_seen=now,
            **about,
        )
    incident.error, incident.last_seen = error[:MAX_ERROR], now
    incident.attempts += 1
    return incident


def _resolve(incident: Incident, resolution: str, actor: Actor | None, now: dt.datetime) -> None:
    incident.status, incident.resolution = IncidentStatus.resolved, resolution
    incident.resolved_by = actor.user_id if actor else None
    incident.resolved_at = now


def _deadline_facts(deadline: Deadline) -> dict[str, Any]:
    return {
        "id": deadline.id,
        "kind": deadline.kind,
        "rule": deadline.rule,
        "due_at": format_time(deadline.due_at),
        "attempts": deadline.attempts,
    }
