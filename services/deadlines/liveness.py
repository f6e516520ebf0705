"""Whether the deadline keeper is keeping up: what /health and `grantflow deadlines status` say."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from workflow.audit_chain import format_time


@dataclass
class SweepResult:
    fired: int = 0
    flagged: int = 0
    cancelled: int = 0
    failed: int = 0
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    outcomes: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.fired + self.flagged + self.cancelled + self.failed


@dataclass(frozen=True)
class Liveness:
    now: dt.datetime
    last_sweep_completed_at: dt.datetime | None
    oldest_overdue_due_at: dt.datetime | None
    pending: int
    max_sweep_age: dt.timedelta
    max_overdue: dt.timedelta
    open_incidents: int = 0

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
        return not (self.sweep_stale or self.deadlines_stale or self.open_incidents)

    @property
    def status(self) -> str:
        if self.sweep_stale or self.deadlines_stale:
            return "stale"
        return "incidents" if self.open_incidents else "ok"

    def as_dict(self) -> dict[str, Any]:
        last, oldest = self.last_sweep_completed_at, self.oldest_overdue_due_at
        return {
            "status": self.status,
            "incidents": {"open": self.open_incidents, "see": "/incidents"},
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
