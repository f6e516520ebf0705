"""The deadline keeper: takes due deadlines from the table in batches, each exactly once, each an
audited step of its own. It is an entry point, like a request: it opens, and commits, its units
of work."""

from __future__ import annotations

import contextlib
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
from services.storage.keeper import KeeperFigures
from services.storage.keeping import Deadline
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork

log = logging.getLogger("grantflow.deadlines")


def _said(error: BaseException) -> str:
    """An error as an incident shows it: its type, its message, and where it was raised."""
    where = error.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    place = f" (at {where.tb_frame.f_code.co_filename}:{where.tb_lineno})" if where else ""
    return f"{type(error).__name__}: {error}{place}"


class _StepFailed(Exception):
    """A step of a batch run without savepoints raised: the whole attempt is rolled back."""


class DeadlineKeeper:
    """Fires what is due, oldest first, as the actor `system`, through the cases' own path."""

    def __init__(
        self,
        services: Services,
        worker: str | None = None,
        jobs: Iterable[ServiceJob] = (),
        retries: RetryPolicy | None = None,
        batch: int | None = None,
    ) -> None:
        self.retries = retries or RetryPolicy()
        # Deadlines handled per unit of work: one commit for many saves much of a firing's fixed
        # cost; few enough that requests soon have the database (SQLite) or the audit head
        # (PostgreSQL, where a batch holds it throughout and waits for nothing else) again.
        self.batch = batch or 25
        self.units = services.units
        self.clock = services.clock
        self.jobs = {job.kind: job for job in jobs}
        self.firing = DeadlineFiring(
            services.catalogue, services.programmes, services.transitions, self.jobs
        )
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        # Set to stop a sweep between two deadlines (each is its own step, so any point between
        # them is a safe place to stop: what the batch did so far commits).
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
            room = self.batch if limit is None else min(self.batch, limit - result.handled)
            outcomes = self.fire_batch(room)
            if not outcomes:
                break
            for outcome in outcomes:
                if outcome != "raced":
                    setattr(result, outcome, getattr(result, outcome) + 1)
        result.completed_at = self.clock.now()
        self._beat(completed=result.completed_at, fired=result.handled)
        return result

    def fire_batch(self, size: int) -> list[str]:
        """Take up to `size` due deadlines and handle each in a step of its own, all in one unit
        of work (`_run`): one commit for the batch, each deadline still its own audited
        change. Returns each one's outcome ("fired", "flagged", "cancelled", "raced" when another
        scheduler claimed it first, "failed"); empty when nothing is due.

        If this process dies before the commit, nothing happened and the deadlines are still
        pending for whoever sweeps next; a firing lost in a crash is done again, so it need not
        wait for the disk. A deadline that fails (anything but a refusal, which cancels it) is
        undone alone, counted in a unit of work of its own, and becomes an incident; the
        others in the batch commit.

        On PostgreSQL a batch holds the audit head from its start to its commit and waits for
        nothing else (`hold_head_and_wait_no_more`): a deadline whose case, or any row its step
        needs, someone else holds is left out of the batch and fired after it alone, waiting
        for what it needs as a request does, so no batch is ever in a circle of waits.
        """
        together = size > 1 and not self.units.is_sqlite
        outcomes, failed, later = self._run(size, None, together=together)
        for deadline_id in later:
            if self.stopping.is_set():
                break  # still pending, as it was
            alone, failed_alone, _ = self._run(1, deadline_id, together=False)
            outcomes += alone if alone or failed_alone else ["raced"]  # another took it meanwhile
            failed += failed_alone
        for deadline_id, said, now in failed:
            with self.units.writing() as uow:
                incidents.deadline_failed(uow, deadline_id, said, now, self.retries)
                uow.commit()
            outcomes.append("failed")
        return outcomes

    def _run(
        self, size: int, only: int | None, *, together: bool
    ) -> tuple[list[str], list[tuple[int, str, dt.datetime]], list[int]]:
        """One unit of work of `fire_batch`: the outcomes, the deadlines that failed (with what
        was said and when), and those left for later (`together` only).

        A batch is first run without a savepoint around each step, which costs two round trips
        a deadline on PostgreSQL; steps rarely fail, and when one does, nothing of that attempt
        is kept and the batch runs again, each step apart, so the failing one is undone alone."""
        if size > 1:
            try:
                return self._steps(size, only, together=together, apart=False)
            except _StepFailed:
                pass  # rolled back whole: nothing of that attempt happened
        return self._steps(size, only, together=together, apart=True)

    def _steps(
        self, size: int, only: int | None, *, together: bool, apart: bool
    ) -> tuple[list[str], list[tuple[int, str, dt.datetime]], list[int]]:
        outcomes: list[str] = []
        failed: list[tuple[int, str, dt.datetime]] = []
        later: list[int] = []
        with self.units.writing(wait_for_disk=False) as uow:
            due = uow.claims.due(self.clock.now(), size, only)
            cases = uow.claims.cases_of(due, skip_locked=together)
            if together and due:
                uow.claims.hold_head_and_wait_no_more()
            held = [d for d in due if together and d.case_id is not None and d.case_id not in cases]
            later += [d.id for d in held if d.id is not None]  # someone holds their cases
            to_fire = [d for d in due if d not in held]
            # One UPDATE claims the batch; a deadline whose step is undone, or not reached
            # because the sweep stops, is given back in the same transaction.
            claimed = uow.claims.claim(to_fire, self.clock.now(), self.worker)
            for position, deadline in enumerate(to_fire):
                assert deadline.id is not None
                if self.stopping.is_set():
                    uow.claims.unclaim(to_fire[position:])  # nothing of theirs was done
                    break
                if deadline.id not in claimed:
                    outcomes.append("raced")  # another scheduler claimed it after our read
                    continue
                now = self.clock.now()
                try:
                    with uow.step() if apart else contextlib.nullcontext():
                        case = cases.get(deadline.case_id) if deadline.case_id else None
                        outcomes.append(self._fire(uow, deadline, now, case))
                except Exception as error:
                    if not apart:
                        raise _StepFailed from error
                    uow.claims.undone(deadline)
                    if together and uow.claims.would_wait(error):
                        later.append(deadline.id)
                        continue
                    log.exception("deadline %s failed", deadline.id)
                    failed.append((deadline.id, _said(error), now))
            uow.commit()
        return outcomes, failed, later

    def _fire(
        self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime, case: Case | None
    ) -> str:
        context = self.firing.context(deadline, now, self.clock.name, self.worker)
        outcome = self.firing.handle(uow, deadline, now, context, case)
        incidents.deadline_fired(uow, deadline, now)
        return outcome

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
