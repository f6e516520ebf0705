"""Refused requests on the audit record (401, 403, a foreign 404, 412, 422): who asked for what,
and why not. At most so many per person an hour in each process, so a flood cannot fill the
log; the rest are counted, and the next one recorded says how many were left out."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from services import audit
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.statuses import EventKind


class RefusalLog:
    def __init__(self, clock: Clock, per_hour: int = 30) -> None:
        self.clock = clock
        self.per_hour = per_hour
        self._lock = threading.Lock()
        self._hour: dt.datetime | None = None
        self._recorded: dict[str, int] = {}
        self._left_out: dict[str, int] = {}

    def admit(self, who: str) -> int | None:
        """Whether to record one more refusal of `who` this hour: None if not (it is counted),
        else how many of theirs were left out before it (to say so in the record)."""
        hour = self.clock.now().replace(minute=0, second=0, microsecond=0)
        with self._lock:
            if hour != self._hour:
                self._hour, self._recorded = hour, {}
            if self._recorded.get(who, 0) >= self.per_hour:
                self._left_out[who] = self._left_out.get(who, 0) + 1
                return None
            self._recorded[who] = self._recorded.get(who, 0) + 1
            return self._left_out.pop(who, 0)

    def record(
        self,
        uow: UnitOfWork,
        actor: Actor,
        asked: str,
        status: int,
        problem: str,
        reason: str,
        case_id: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> bool:
        """Put one refused request on the record, if this person's share is not used up."""
        who = f"{actor.user_id}" if actor.user_id is not None else f"{actor.name}"
        left_out = self.admit(who)
        if left_out is None:
            return False
        details: dict[str, Any] = {"status": status, "problem": problem, **(extra or {})}
        if left_out:
            details["not_recorded_before"] = left_out
        audit.record(
            uow,
            kind=EventKind.refusal,
            actor=actor,
            now=self.clock.now(),
            case_id=case_id,
            transition=asked,
            reason=reason[:1000],
            details=details,
        )
        return True
