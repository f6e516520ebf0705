"""Queries of the deadline keeper's firing: taking due deadlines in a batch, the cases they
need, and claiming each one exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, col, select

from services.storage.audit_log import lock_head
from services.storage.cases import forget_locked, lock_cases, no_longer_pending
from services.storage.keeping import Deadline
from services.storage.models import Case
from services.storage.rows import keep
from workflow.statuses import DeadlineStatus

_DEADLINE: Table = Deadline.__table__  # type: ignore[attr-defined]
# Built once: each firing sends them, and building one costs more than sending it.
_CLAIM = (
    update(_DEADLINE)
    .where(
        _DEADLINE.c.id.in_(bindparam("ids", expanding=True)),
        # Compared as an expression, not the column: given a list of ids, SQLite would
        # otherwise search the status index and read every pending deadline.
        _DEADLINE.c.status.concat("").in_([DeadlineStatus.pending, DeadlineStatus.failing]),
    )
    .values(status=DeadlineStatus.fired, fired_at=bindparam("now"), fired_by=bindparam("worker"))
    .returning(_DEADLINE.c.id)
)
_UNCLAIM = (
    update(_DEADLINE)
    .where(_DEADLINE.c.id == bindparam("deadline_id"))
    .values(
        status=bindparam("was"),
        fired_at=bindparam("old_fired_at"),
        fired_by=bindparam("old_fired_by"),
    )
)
_SETTLE = (
    update(_DEADLINE)
    .where(_DEADLINE.c.id == bindparam("deadline_id"))
    .values(
        status=bindparam("new_status"),
        fired_at=bindparam("new_fired_at"),
        outcome=bindparam("new_outcome"),
        event_seq=bindparam("new_event_seq"),
    )
)


class ClaimRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # What each deadline claimed in this unit of work was before, to give it back.
        self._before: dict[int, dict[str, Any]] = {}

    def due(self, now: dt.datetime, limit: int, only: int | None = None) -> list[Deadline]:
        """Up to `limit` deadlines to fire now, in one query: the due, oldest first, then those
        whose last attempt failed and whose time for the next has come (`only` that one).

        On PostgreSQL the rows are locked with SKIP LOCKED, so schedulers sharing a database
        take different deadlines; each is then claimed on its own (`claim`)."""
        due = (
            select(Deadline)
            .where(Deadline.status == DeadlineStatus.pending, Deadline.due_at <= now)
            .order_by(col(Deadline.due_at), col(Deadline.id))
        )
        retry = (
            select(Deadline)
            .where(Deadline.status == DeadlineStatus.failing, col(Deadline.retry_at) <= now)
            .order_by(col(Deadline.retry_at), col(Deadline.id))
        )
        if only is not None:
            due, retry = due.where(Deadline.id == only), retry.where(Deadline.id == only)
        found: list[Deadline] = []
        for query in (due, retry):
            if len(found) < limit:
                locked = query.limit(limit - len(found)).with_for_update(
                    skip_locked=True, key_share=True
                )
                found.extend(self.session.exec(locked).all())
        return found

    def cases_of(self, deadlines: list[Deadline], *, skip_locked: bool = False) -> dict[int, Case]:
        """The cases of `deadlines`, locked, in one query: in order of id, and before anything
        else a firing locks, so two batches, or a batch and a request, never wait on each other
        in a circle. Each comes with what its transition reads next (`lock_cases`)."""
        ids = [d.case_id for d in deadlines if d.case_id is not None]
        return lock_cases(self.session, ids, skip_locked=skip_locked) if ids else {}

    def hold_head_and_wait_no_more(self) -> None:
        """Lock the audit chain's head now, for a batch of steps on PostgreSQL, and from then on
        give up at once on any lock someone else holds (the step then raises, see `would_wait`).

        Waiting for the head is safe: whoever holds it waits for nothing more (an audited step
        locks it last). Waiting for anything else while holding it is not: a request may hold
        that row and wait for the head. A transaction that waits only for the head is in no
        circle of waits."""
        lock_head(self.session)
        self.session.connection().exec_driver_sql("SET LOCAL lock_timeout = '1ms'")

    @staticmethod
    def would_wait(error: BaseException) -> bool:
        """Whether `error` is a lock given up on (PostgreSQL's lock_not_available)."""
        return getattr(getattr(error, "orig", None), "sqlstate", None) == "55P03"

    def claim(self, deadlines: list[Deadline], now: dt.datetime, worker: str) -> set[int]:
        """Claim `deadlines` for `worker` in one UPDATE, each only if it is still to fire, so of
        two schedulers that read one, one claims it; answers the ids claimed. What is claimed
        is pending no more for the steps that follow: a transition that cancels its case's
        pending deadlines does not see it."""
        ids = [d.id for d in deadlines if d.id is not None]
        if not ids:
            return set()
        params = {"ids": ids, "now": now, "worker": worker}
        claimed = set(self.session.connection().execute(_CLAIM, params).scalars())
        values = {"status": DeadlineStatus.fired, "fired_at": now, "fired_by": worker}
        for deadline in deadlines:
            if deadline.id is None or deadline.id not in claimed:
                continue
            self._before[deadline.id] = {
                "was": deadline.status,
                "old_fired_at": deadline.fired_at,
                "old_fired_by": deadline.fired_by,
            }
            if deadline.case_id is not None:
                no_longer_pending(self.session, deadline.case_id, deadline.id)
            # The row says so already: the object in hand follows it without reading it again.
            keep(self.session, deadline, values)
        return claimed

    def unclaim(self, deadlines: list[Deadline]) -> None:
        """Give claimed `deadlines` back as they were (their step was undone, or the sweep
        stopped before their turn), in this transaction: whoever sweeps next takes them up."""
        rows = [
            {"deadline_id": d.id, **self._before.pop(d.id)}
            for d in deadlines
            if d.id in self._before
        ]
        if rows:
            self.session.connection().execute(_UNCLAIM, rows)
        for deadline in deadlines:
            self.session.expire(deadline)

    def settle(
        self,
        deadline: Deadline,
        now: dt.datetime,
        outcome: str,
        event_seq: int | None,
        status: str | None = None,
    ) -> None:
        """Write what came of `deadline` at `now` (and its new `status`, if it has one) in one
        UPDATE. `now` is its own step's time, which its event bears too: the batch's claim came
        a little before, and a view of the case as of a moment in between must not show it
        fired."""
        values = {
            "status": status or deadline.status,
            "fired_at": now,
            "outcome": outcome,
            "event_seq": event_seq,
        }
        self.session.connection().execute(
            _SETTLE,
            {
                "deadline_id": deadline.id,
                "new_status": values["status"],
                "new_fired_at": now,
                "new_outcome": outcome,
                "new_event_seq": event_seq,
            },
        )
        keep(self.session, deadline, values)

    def undone(self, deadline: Deadline) -> None:
        """A step on `deadline` was undone: the deadline is given back (`unclaim`), and what the
        batch read with its case is read again."""
        self.unclaim([deadline])
        if deadline.case_id is not None:
            forget_locked(self.session, deadline.case_id)
