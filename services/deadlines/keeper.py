"""The deadline keeper: takes due deadlines from the table, each exactly once, each in a unit of
work of its own. It is an entry point, like a request: it opens, and commits, its units of work."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterable

from services.container import Services
from services.deadlines.firing import DeadlineFiring, ServiceJob
from services.deadlines.liveness import Liveness, SweepResult
from services.storage.deadlines import NOTHING_DUE, RACED
from services.storage.models import Deadline


class DeadlineKeeper:
    """Fires what is due, oldest first, as the actor `system`, through the cases' own path."""

    def __init__(
        self, services: Services, worker: str | None = None, jobs: Iterable[ServiceJob] = ()
    ) -> None:
        self.units = services.units
        self.clock = services.clock
        self.jobs = {job.kind: job for job in jobs}
        self.firing = DeadlineFiring(
            services.catalogue, services.programmes, services.transitions, self.jobs
        )
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        # Set to stop a sweep between two deadlines (each is its own unit of work, so any point
        # between them is a safe place to stop).
        self.stopping = threading.Event()

    def sweep(self, limit: int | None = None) -> SweepResult:
        """Fire every deadline due now (or `limit` of them), then record the sweep."""
        started = self.clock.now()
        result = SweepResult(started_at=started)
        self._beat(started=started)
        for job in self.jobs.values():
            # Read first: an idle sweep takes no write lock unless a job has nothing planned.
            with self.units.reading() as uow:
                planned = uow.deadlines.any_pending(job.kind)
            if not planned:
                with self.units.writing() as uow:
                    job.plan(uow, started)
                    uow.commit()
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
        """Claim the oldest due deadline and handle it, in one unit of work: if this process
        dies before the commit, nothing happened and the deadline is still pending for whoever
        sweeps next. A firing lost in a crash is done again, so it need not wait for the disk."""
        now = self.clock.now()
        with self.units.writing(wait_for_disk=False) as uow:
            deadline = uow.deadlines.claim_next(now, self.worker)
            if deadline is NOTHING_DUE:
                return None
            if deadline is RACED:
                return "raced"  # another scheduler claimed it between our read and our update
            assert isinstance(deadline, Deadline)
            context = self.firing.context(deadline, now, self.clock.name, self.worker)
            outcome = self.firing.handle(uow, deadline, now, context)
            uow.commit()
            return outcome

    def next_due_at(self) -> dt.datetime | None:
        with self.units.reading() as uow:
            return uow.deadlines.next_due_at()

    def liveness(self, max_sweep_age: dt.timedelta, max_overdue: dt.timedelta) -> Liveness:
        now = self.clock.now()
        with self.units.reading() as uow:
            figures = uow.deadlines.figures(now)
        return Liveness(
            now,
            figures.last_sweep,
            figures.oldest_overdue,
            figures.pending,
            max_sweep_age,
            max_overdue,
        )

    def _beat(
        self,
        started: dt.datetime | None = None,
        completed: dt.datetime | None = None,
        fired: int = 0,
    ) -> None:
        with self.units.writing() as uow:
            uow.deadlines.beat(self.worker, self.clock.now(), started, completed, fired)
            uow.commit()
