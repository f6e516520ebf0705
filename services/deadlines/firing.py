"""What happens when one deadline comes due: it fires its transition as the actor `system`, only
flags the case, or is cancelled because it no longer means anything; each with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from services import audit
from services.cases.transitions import CaseTransitions
from services.programmes import ProgrammeRegistry
from services.storage.keeping import Deadline
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import SYSTEM
from workflow.audit_chain import format_time
from workflow.catalogue import Catalogue
from workflow.engine import TransitionRefused
from workflow.lifecycle import DeadlineKind, label_in
from workflow.statuses import DeadlineStatus, EventKind


class ServiceJob(Protocol):
    """Recurring work of the service itself, kept in the deadline table (signing the audit head)."""

    kind: str

    def plan(self, uow: UnitOfWork, now: dt.datetime) -> None: ...

    def fire(self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> str: ...


def next_daily(kind: str, now: dt.datetime, at: dt.time, zone: ZoneInfo, rule: str) -> Deadline:
    """A service job's next run: today at `at` local time if that is still ahead, else tomorrow."""
    local = now.astimezone(zone)
    due = dt.datetime.combine(local.date(), at, tzinfo=zone)
    if due <= local:
        due = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tzinfo=zone)
    return Deadline(
        kind=kind, due_at=due.astimezone(dt.UTC), time_zone=zone.key, rule=rule, created_at=now
    )


class DeadlineFiring:
    def __init__(
        self,
        catalogue: Catalogue,
        programmes: ProgrammeRegistry,
        transitions: CaseTransitions,
        jobs: Mapping[str, ServiceJob],
    ) -> None:
        self.catalogue = catalogue
        self.lifecycle = catalogue.lifecycle
        self.programmes = programmes
        self.transitions = transitions
        self.jobs = jobs

    def handle(
        self,
        uow: UnitOfWork,
        deadline: Deadline,
        now: dt.datetime,
        context: dict[str, Any],
        case: Case | None = None,
    ) -> str:
        """Do what `deadline` says, in `uow`; returns "fired", "flagged" or "cancelled". `case`
        is the deadline's case if the caller has it locked already."""
        if deadline.kind in self.jobs:
            outcome = self.jobs[deadline.kind].fire(uow, deadline, now)
            uow.claims.settle(deadline, now, outcome, deadline.event_seq)
            return "fired"
        kind = self.lifecycle.deadlines.get(deadline.kind)
        if kind is None:
            reason = f"the lifecycle has no deadline kind {deadline.kind!r}"
            return self._cancel(uow, deadline, now, reason, context)
        if deadline.case_id is None:
            return self._flag(uow, deadline, kind, None, now, context)
        if case is None:
            case = uow.cases.get(deadline.case_id, lock=True)
        assert case is not None and case.id is not None
        if not self.lifecycle.deadline_applies(kind, case.state):
            reason = f"no longer applies: the case is in state {case.state}"
            return self._cancel(uow, deadline, now, reason, context)
        if kind.fires is None:
            return self._flag(uow, deadline, kind, case, now, context)
        try:
            result = self.transitions.fire_in(
                uow, SYSTEM, case.id, kind.fires, {}, details={"deadline": context}
            )
        except TransitionRefused as refused:
            reason = f"{kind.fires} refused: {refused.detail}"
            return self._cancel(uow, deadline, now, reason, context)
        outcome = f"{kind.fires}: {result.firing.from_state} -> {result.firing.to_state}"
        uow.claims.settle(deadline, now, outcome, result.event.seq)
        return "fired"

    def context(
        self, deadline: Deadline, now: dt.datetime, clock: str, worker: str
    ) -> dict[str, Any]:
        """What an automatic step says about itself: the rule, when it was due, when it ran."""
        code = self.programmes.code_of(deadline.programme_id)
        found = self.catalogue.programmes.get(code)
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
            "clock": clock,
            "worker": worker,
        }

    def _flag(
        self,
        uow: UnitOfWork,
        deadline: Deadline,
        kind: DeadlineKind,
        case: Case | None,
        now: dt.datetime,
        context: Mapping[str, Any],
    ) -> str:
        """A deadline that moves nothing: a notification and an audit event say it passed."""
        programme = self.programmes.config_of(deadline.programme_id)
        language = programme.language if programme else "en"
        subject = label_in(kind.label, language, kind.name)
        if case is not None:
            assert case.id is not None
            reference = self.programmes.reference(case.programme_id, case.id)
            subject = f"{subject}: {reference} {case.title}"
        elif deadline.call_code:
            subject = f"{subject}: {programme.title() if programme else ''} ({deadline.call_code})"
        assert deadline.programme_id is not None
        self.transitions.notices.tell(
            uow,
            kind.name,
            deadline.programme_id,
            case,
            now,
            due_at=self._due_of_what_is_reminded(uow, deadline, kind),
            call_code=deadline.call_code,
        )
        uow.notifications.add(
            {
                "case_id": deadline.case_id,
                "programme_id": deadline.programme_id,
                "deadline_id": deadline.id,
                "kind": kind.name,
                "audience": kind.notify or "caseworker",
                "organisation_id": case.organisation_id
                if case is not None and kind.notify == "applicant"
                else None,
                "subject": subject,
                "body": label_in(kind.message, language, ""),
                "created_at": now,
            }
        )
        event = audit.record(
            uow,
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
        uow.claims.settle(deadline, now, f"flagged: {subject}", event.seq)
        return "flagged"

    def _due_of_what_is_reminded(
        self, uow: UnitOfWork, deadline: Deadline, kind: DeadlineKind
    ) -> dt.datetime | None:
        """A reminder tells when what it reminds of is due (the final report, say)."""
        programme = self.programmes.config_of(deadline.programme_id)
        rule = programme.deadlines.get(kind.name) if programme else None
        if rule is None or rule.before is None or deadline.case_id is None:
            return None
        return next(
            (
                d.due_at
                for d in uow.deadlines.pending_of_case(deadline.case_id)
                if d.kind == rule.before
            ),
            None,
        )

    def _cancel(
        self,
        uow: UnitOfWork,
        deadline: Deadline,
        now: dt.datetime,
        reason: str,
        context: Mapping[str, Any],
    ) -> str:
        event = audit.record(
            uow,
            kind=EventKind.fact,
            actor=SYSTEM,
            now=now,
            case_id=deadline.case_id,
            transition="deadline_cancelled",
            reason=reason,
            details={"deadline": context},
        )
        uow.claims.settle(deadline, now, reason, event.seq, DeadlineStatus.cancelled)
        return "cancelled"
