"""Queries on payment tranches: a case's schedule, releasing tranches, payments against them,
and the tranches whose condition is overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from services.storage.keeping import Deadline
from services.storage.models import Case, Disbursement
from services.storage.tranche_tables import Tranche
from workflow.statuses import DeadlineStatus, TrancheStatus


class TrancheRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_case(self, case_id: int) -> list[Tranche]:
        query = select(Tranche).where(Tranche.case_id == case_id).order_by(col(Tranche.number))
        return list(self.session.exec(query).all())

    def get(self, case_id: int, number: int) -> Tranche | None:
        query = select(Tranche).where(Tranche.case_id == case_id, Tranche.number == number)
        return self.session.exec(query.with_for_update()).first()

    def last_number(self, case_id: int) -> int:
        query = select(func.max(Tranche.number)).where(Tranche.case_id == case_id)
        return int(self.session.exec(query).one() or 0)

    def add(self, tranches: Iterable[Tranche]) -> None:
        self.session.add_all(list(tranches))
        self.session.flush()  # their ids, for the payments that follow

    def release(self, case_id: int, conditions: Iterable[str], now: dt.datetime) -> list[Tranche]:
        """Release the case's due tranches waiting for one of `conditions`."""
        query = select(Tranche).where(
            Tranche.case_id == case_id,
            Tranche.status == TrancheStatus.due,
            col(Tranche.condition).in_(list(conditions)),
        )
        released = list(self.session.exec(query).all())
        for tranche in released:
            tranche.status, tranche.released_at = TrancheStatus.released, now
        self.session.add_all(released)
        return released

    def pay(self, tranche: Tranche, payment: Disbursement) -> None:
        """Record `payment` against `tranche`: the only way a tranche's `paid` grows."""
        payment.tranche_id = tranche.id
        tranche.paid = tranche.paid + payment.amount
        self.session.add_all([tranche, payment])

    def overdue_kinds(
        self, case_ids: Iterable[int], kinds: Mapping[str, str], now: dt.datetime
    ) -> set[tuple[int, str]]:
        """(case, condition) pairs whose condition's deadline (`kinds`: condition -> deadline
        kind) has passed; a cancelled deadline (the report came in time) counts for nothing."""
        ids = list(case_ids)
        if not ids or not kinds:
            return set()
        query = select(Deadline.case_id, Deadline.kind).where(
            col(Deadline.case_id).in_(ids),
            col(Deadline.kind).in_(list(set(kinds.values()))),
            Deadline.status != DeadlineStatus.cancelled,
            Deadline.due_at <= now,
        )
        passed = {(case_id, kind) for case_id, kind in self.session.exec(query).all()}
        return {
            (case_id, condition)
            for case_id, kind in passed
            if case_id is not None
            for condition, k in kinds.items()
            if k == kind
        }

    def overdue(
        self, kinds: Mapping[str, str], now: dt.datetime, party: int | None = None
    ) -> list[tuple[Tranche, Case]]:
        """Every due tranche whose condition's deadline has passed, oldest deadline first;
        `party`: only the cases that organisation leads."""
        if not kinds:
            return []
        query = (
            select(Tranche, Case)
            .join(Case, col(Case.id) == Tranche.case_id)
            .join(Deadline, col(Deadline.case_id) == Tranche.case_id)
            .where(
                Tranche.status == TrancheStatus.due,
                Deadline.status != DeadlineStatus.cancelled,
                Deadline.due_at <= now,
                or_(  # the deadline is the one of the tranche's condition
                    *[
                        (col(Tranche.condition) == condition) & (col(Deadline.kind) == kind)
                        for condition, kind in kinds.items()
                    ]
                ),
            )
        )
        if party is not None:
            query = query.where(Case.organisation_id == party)
        query = query.order_by(col(Deadline.due_at), col(Tranche.case_id), col(Tranche.number))
        seen: set[int] = set()
        rows = []
        for tranche, case in self.session.exec(query).all():
            if tranche.id not in seen:
                seen.add(tranche.id or 0)
                rows.append((tranche, case))
        return rows
