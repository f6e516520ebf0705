"""Extending a deadline for a whole round or for one case, the change made most often while a
round runs: its deadlines move, the rules that check the time see the new one, and the cases
that already lapsed under the old one are listed, never revived silently."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services import audit
from services.errors import InvalidRequest, NotFound
from services.policy import require
from services.programmes import ProgrammeRegistry
from services.storage.keeping import Deadline, DeadlineExtension
from services.storage.unit_of_work import UnitOfWork
from services.times import Instant
from workflow.access import Action
from workflow.actors import Actor
from workflow.audit_chain import format_time
from workflow.clock import Clock
from workflow.deadlines import due_before, moved_together
from workflow.programmes import Call, ProgrammeConfig
from workflow.statuses import DeadlineStatus, EventKind

# The anchor in programme files that a call's application deadline is: extending a deadline set
# at it moves the call's deadline itself, which the rules and the opening of cases read.
CALL_DEADLINE = "call.application_deadline"


class ExtensionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(min_length=1, max_length=64, description="a deadline kind of the programme")
    call: str | None = Field(
        default=None, max_length=64, description="the round; omit for one case"
    )
    case_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="one case only")
    to: Instant = Field(description="the new time, with its offset")
    reason: str = Field(min_length=3, max_length=2000)


class MovedDeadline(BaseModel):
    deadline_id: int
    kind: str
    case_id: int | None
    was: dt.datetime
    to: dt.datetime


class ExtensionPublic(BaseModel):
    id: int
    programme: str
    kind: str
    call: str | None
    case_id: int | None
    was: dt.datetime | None
    to: dt.datetime
    reason: str
    by: str
    at: dt.datetime
    moved: list[MovedDeadline]
    lapsed_before: list[int] = Field(
        description="cases that lapsed under the old deadline: listed, not revived"
    )


class DeadlineExtensions:
    def __init__(self, clock: Clock, programmes: ProgrammeRegistry) -> None:
        self.clock = clock
        self.programmes = programmes

    def extend(
        self, uow: UnitOfWork, actor: Actor, code: str, request: ExtensionRequest
    ) -> ExtensionPublic:
        require(actor, Action.deadlines_extend)
        programme_id = self.programmes.id_of(code)
        if programme_id < 0:
            raise NotFound(f"no programme {code!r}")
        config = self.programmes.require(programme_id)
        if request.kind not in config.deadlines:
            raise InvalidRequest(
                f"{code} has no deadline {request.kind!r}; it has "
                f"{', '.join(sorted(config.deadlines))}",
                field="kind",
            )
        call_code = self._round(uow, config, programme_id, request)
        now = self.clock.now()
        if request.to <= now:
            raise InvalidRequest(
                f"an extension ends in the future; {format_time(request.to)} has passed",
                field="to",
            )
        kinds = moved_together(config, request.kind, whole_round=request.case_id is None)
        pending = uow.extensions.deadlines(
            programme_id, kinds, call_code, request.case_id, DeadlineStatus.pending
        )
        was = self._holding(uow, config, programme_id, request, call_code, pending)
        if was is not None and request.to <= was:
            raise InvalidRequest(
                f"{format_time(request.to)} is not later than the deadline it would extend "
                f"({format_time(was)})",
                field="to",
            )
        moved = self._move(uow, config, request, pending)
        fired = uow.extensions.deadlines(
            programme_id, [request.kind], call_code, request.case_id, DeadlineStatus.fired
        )
        lapsed = sorted({d.case_id for d in fired if d.case_id is not None and d.event_seq})
        extension = DeadlineExtension(
            programme_id=programme_id,
            call_code=call_code,
            case_id=request.case_id,
            kind=request.kind,
            was_at=was,
            due_at=request.to,
            reason=request.reason,
            actor_id=actor.user_id,
            actor_name=actor.name,
            created_at=now,
        )
        uow.extensions.add(extension)
        assert extension.id is not None
        public = ExtensionPublic(
            id=extension.id,
            programme=code,
            kind=request.kind,
            call=call_code,
            case_id=request.case_id,
            was=was,
            to=request.to,
            reason=request.reason,
            by=actor.name,
            at=now,
            moved=moved,
            lapsed_before=lapsed,
        )
        extension.event_seq = self._record(uow, actor, public, now)
        uow.extensions.add(extension)
        return public

    def _round(
        self, uow: UnitOfWork, config: ProgrammeConfig, programme_id: int, request: ExtensionRequest
    ) -> str | None:
        """The call the extension is about: the case's own, or the round named."""
        if request.case_id is not None:
            case = uow.cases.get(request.case_id, lock=True)
            if case is None or case.programme_id != programme_id:
                raise NotFound(f"{config.code} has no case {request.case_id}")
            return case.call_code
        if config.calls and config.call(request.call) is None:
            raise InvalidRequest(
                f"name the round: {config.code} has the calls "
                f"{', '.join(c.code for c in config.calls)}",
                field="call",
            )
        return request.call if config.calls else None

    def _holding(
        self,
        uow: UnitOfWork,
        config: ProgrammeConfig,
        programme_id: int,
        request: ExtensionRequest,
        call_code: str | None,
        pending: list[Deadline],
    ) -> dt.datetime | None:
        """The time the extension replaces: the call's deadline as it holds now, or the latest
        pending deadline of the kind."""
        if config.deadlines[request.kind].at == CALL_DEADLINE:
            call = effective_call(uow, config, programme_id, call_code, request.case_id)
            if call is not None and call.application_deadline is not None:
                return call.application_deadline.replace(tzinfo=config.zone).astimezone(dt.UTC)
        dues = [d.due_at for d in pending if d.kind == request.kind]
        return max(dues) if dues else None

    def _move(
        self,
        uow: UnitOfWork,
        config: ProgrammeConfig,
        request: ExtensionRequest,
        pending: list[Deadline],
    ) -> list[MovedDeadline]:
        """Each pending deadline to its new time; a reminder to its place before the new one."""
        moved: list[MovedDeadline] = []
        new_due: dict[tuple[int | None, str], dt.datetime] = {}
        order = moved_together(config, request.kind, whole_round=request.case_id is None)
        for deadline in sorted(pending, key=lambda d: order.index(d.kind)):
            before = config.deadlines[deadline.kind].before
            if before is None:
                due = request.to
            elif (deadline.case_id, before) in new_due:
                due = due_before(config, deadline.kind, new_due[(deadline.case_id, before)])
            else:
                continue  # the deadline it reminds of did not move: neither does it
            new_due[(deadline.case_id, deadline.kind)] = due
            assert deadline.id is not None
            moved.append(
                MovedDeadline(
                    deadline_id=deadline.id,
                    kind=deadline.kind,
                    case_id=deadline.case_id,
                    was=deadline.due_at,
                    to=due,
                )
            )
            deadline.due_at = due
            uow.deadlines.save(deadline)
        return moved

    def _record(
        self, uow: UnitOfWork, actor: Actor, extension: ExtensionPublic, now: dt.datetime
    ) -> int:
        """One event for the extension, and one in each case whose deadline moved, so a case's
        history says why its deadline is not the one the programme file gives."""
        moved_cases: dict[int, list[dict[str, Any]]] = {}
        for m in extension.moved:
            if m.case_id is not None:
                entry = {
                    "deadline_id": m.deadline_id,
                    "kind": m.kind,
                    "was": format_time(m.was),
                    "to": format_time(m.to),
                }
                moved_cases.setdefault(m.case_id, []).append(entry)
        details = {
            "extension": extension.id,
            "programme": extension.programme,
            "kind": extension.kind,
            "call": extension.call,
            "was": format_time(extension.was) if extension.was else None,
            "to": format_time(extension.to),
            "moved": len(extension.moved),
            "lapsed_before": extension.lapsed_before,
        }
        event = audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            case_id=extension.case_id,
            transition="deadline_extended",
            reason=extension.reason,
            details={**details, "deadlines": moved_cases.get(extension.case_id or 0, [])},
        )
        for case_id, deadlines in moved_cases.items():
            if case_id != extension.case_id:
                audit.record(
                    uow,
                    kind=EventKind.fact,
                    actor=actor,
                    now=now,
                    case_id=case_id,
                    transition="deadline_extended",
                    reason=extension.reason,
                    details={**details, "deadlines": deadlines},
                )
        return event.seq


def effective_call(
    uow: UnitOfWork,
    config: ProgrammeConfig,
    programme_id: int,
    call_code: str | None,
    case_id: int | None = None,
) -> Call | None:
    """The case's call as it holds now: the file's, with its deadline extended if it was."""
    call = config.call(call_code)
    if call is None or call.application_deadline is None:
        return call
    kinds = [k for k, rule in config.deadlines.items() if rule.at == CALL_DEADLINE]
    holding = uow.extensions.holding(programme_id, kinds, call_code, case_id) if kinds else None
    if holding is None:
        return call
    local = holding.due_at.astimezone(config.zone).replace(tzinfo=None)
    return call.model_copy(update={"application_deadline": local})


def effective_programme(
    uow: UnitOfWork, config: ProgrammeConfig, programme_id: int
) -> ProgrammeConfig:
    """The programme as it holds now: its calls' deadlines extended where a round's was."""
    kinds = [k for k, rule in config.deadlines.items() if rule.at == CALL_DEADLINE]
    if not kinds or not config.calls:
        return config
    rounds = uow.extensions.of_rounds(programme_id, kinds)
    if not rounds:
        return config
    calls = [
        c.model_copy(
            update={
                "application_deadline": rounds[c.code]
                .due_at.astimezone(config.zone)
                .replace(tzinfo=None)
            }
        )
        if c.code in rounds
        else c
        for c in config.calls
    ]
    return config.model_copy(update={"calls": calls})
