"""The deadline keeper: takes due deadlines from the table, each exactly once, each in a unit of
work of its own. It is an entry point, like a request: it opens, and commits, its units of work."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterable

from services import incidents
from services.container import Services
from services.deadlines.firing import DeadlineFiring, ServiceJob
from services.deadlines.liveness import Liveness, SweepResult
from services.incidents import RetryPolicy
from services.storage.deadlines import NOTHING_DUE, RACED
from services.storage.keeper import KeeperFigures
from services.storage.keeping import Deadline

log = logging.getLogger("grantflow.deadlines")


def _said(error: BaseException) -> str:
    """An error as an incident shows it: its type, its message, and where it was raised."""
    where = error.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    place = f" (at {where.tb_frame.f_code.co_filename}:{where.tb_lineno})" if where else ""
    return f"{type(error).__name__}: {error}{place}"


class DeadlineKeeper:
    """Fires what is due, oldest first, as the actor `system`, through the cases' own path."""

    def __init__(
        self,
        services: Services,
        worker: str | None = None,
        jobs: Iterable[ServiceJob] = (),
        retries: RetryPolicy | None = None,
    ) -> None:
        self.retries = retries or RetryPolicy()
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
        with self.units.reading() as uow:  # take up a version of the rules applied elsewhere
            self.firing.programmes.load(uow)
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
        sweeps next. A firing lost in a crash is done again, so it need not wait for the disk.

        A deadline that fails (anything but a refusal, which cancels it) is rolled back, counted
        in a unit of work of its own, and becomes an incident; the sweep goes on with the next.
        """
        now = self.clock.now()
        claimed: int | None = None
        try:
            with self.units.writing(wait_for_disk=False) as uow:
                deadline = uow.deadlines.claim_next(now, self.worker)
                if deadline is NOTHING_DUE:
                    return None
                if deadline is RACED:
                    return "raced"  # another scheduler claimed it between our read and update
                assert isinstance(deadline, Deadline)
                claimed = deadline.id
                context = self.firing.context(deadline, now, self.clock.name, self.worker)
                outcome = self.firing.handle(uow, deadline, now, context)
                incidents.deadline_fired(uow, deadline, now)
                uow.commit()
                return outcome
        except Exception as error:
            if claimed is None:
                raise  # not one deadline's failure: the database itself, say
            log.exception("deadline %s failed", claimed)
            with self.units.writing() as uow:
                incidents.deadline_failed(uow, claimed, _said(error), now, self.retries)
                uow.commit()
            return "failed"

    def refuse_clock(self, real_now: dt.datetime) -> str | None:
        """Why this keeper's clock must not fire deadlines, or None: before the audit log's last
        event it would write history backwards (the chain's times never go back, so every later
        event would be stamped after it); after the real time it would fire deadlines early and
        push the chain's clock forward for good."""
        now = self.clock.now()
        with self.units.reading() as uow:
            head = uow.audit.head()
        # Events at one time are a microsecond apart in the chain: the same --now again (a
        # run that was killed, started again) is not "before" what that run wrote.
        if head is not None and head.at is not None and now < head.at - dt.timedelta(seconds=1):
            return f"it is before the audit log's last event ({head.at.isoformat()})"
        if now > real_now + dt.timedelta(minutes=1):
            return f"it is after the real time ({real_now.isoformat()})"
        return None

    def next_due_at(self) -> dt.datetime | None:
        with self.units.reading() as uow:
            return uow.deadlines.next_due_at()

    def liveness(self, max_sweep_age: dt.timedelta, max_overdue: dt.timedelta) -> Liveness:
        now = self.clock.now()
        figures, incidents_open = self.figures()
        return Liveness(
            now,
            figures.last_sweep,
            figures.oldest_overdue,
            figures.pending,
            max_sweep_age,
            max_overdue,
            incidents_open,
        )

    def figures(self) -> tuple[KeeperFigures, int]:
        """The deadlines' figures and the open incidents: for /health and /metrics."""
        with self.units.reading() as uow:
            return uow.keeper.figures(self.clock.now()), uow.incidents.count_open()

    def _beat(
        self,
        started: dt.datetime | None = None,
        completed: dt.datetime | None = None,
        fired: int = 0,
    ) -> None:
        with self.units.writing() as uow:
            uow.keeper.beat(self.worker, self.clock.now(), started, completed, fired)
            uow.commit()
