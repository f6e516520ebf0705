"""A case's payment schedule: its tranches with what each allows, the arrears and the repayment;
payments registered against a tranche; and the tranches whose releasing report is overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services import audit
from services.cases.visibility import party_filter, visible_case
from services.errors import Conflict, InvalidRequest
from services.policy import require, require_on_case
from services.programmes import ProgrammeRegistry
from services.storage.models import Case, Disbursement
from services.storage.tranche_tables import Tranche
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.money import Money
from workflow.read_model import updates
from workflow.statuses import EventKind, PaymentKind, TrancheStatus
from workflow.tranches import Schedule, TrancheFacts, conditions, figures


class TranchePayment(BaseModel):
    """A payment made against a tranche: how much, and its value date."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2)
    paid_on: dt.date


class PaymentAboveTranche(Conflict):
    problem = "payment-above-tranche"
    title = "The payment is more than the tranche allows"


def overdue_rules() -> dict[str, str]:
    """Condition -> the deadline kind whose passing makes it overdue (states/tranches.toml)."""
    return {c.name: c.overdue_after for c in conditions().values() if c.overdue_after}


def schedule_of(
    uow: UnitOfWork, case: Case, currency: str, now: dt.datetime, rows: list[Tranche] | None = None
) -> tuple[list[Tranche], Schedule]:
    """The case's tranches and their figures, as of `now`."""
    assert case.id is not None
    rows = uow.tranches.of_case(case.id) if rows is None else rows
    late = uow.tranches.overdue_kinds([case.id], overdue_rules(), now) if rows else set()
    facts = [
        TrancheFacts(
            number=t.number,
            amount=Money(t.amount, currency),
            condition=t.condition,
            released=t.status == TrancheStatus.released,
            paid=Money(t.paid, currency),
            overdue=t.status == TrancheStatus.due and (case.id, t.condition) in late,
        )
        for t in rows
    ]
    eligible = None if case.eligible_spent is None else Money(case.eligible_spent, currency)
    return rows, figures(facts, currency, Money(case.granted_amount, currency), eligible)


def allocate(uow: UnitOfWork, case: Case, amount: Money) -> list[tuple[Tranche | None, Money]]:
    """`amount` paid by the lifecycle itself, over the released tranches' room in number order;
    what no tranche has room for (a decision from before 0019 has none) stays unallocated."""
    rows, schedule = schedule_of(uow, case, amount.currency, dt.datetime.max.replace(tzinfo=dt.UTC))
    parts: list[tuple[Tranche | None, Money]] = []
    left = amount
    for row, figure in zip(rows, schedule.tranches, strict=True):
        part = min(left, figure.arrears)
        if part > 0:
            parts.append((row, part))
            left = left - part
    if left > 0:
        parts.append((None, left))
    return parts


class TranchePayments:
    def __init__(self, clock: Clock, programmes: ProgrammeRegistry) -> None:
        self.clock = clock
        self.programmes = programmes

    def _currency(self, case: Case) -> str:
        return self.programmes.require(case.programme_id).currency

    def schedule(self, uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
        """The case's tranches with what each allows, has been paid and is in arrears; the
        repayment once the final report's eligible costs are known."""
        case = visible_case(uow, actor, case_id)
        currency = self._currency(case)
        rows, s = schedule_of(uow, case, currency, self.clock.now())
        return {
            "case_id": case_id,
            "currency": currency,
            "granted": Money(case.granted_amount, currency),
            "eligible_spent": case.eligible_spent,
            "scheduled": s.scheduled,
            "released": s.released,
            "allowed": s.allowed,
            "paid": s.paid,
            "arrears": s.arrears,
            "repayment": s.repayment,
            "repaid": Money(case.repaid_amount, currency),
            "tranches": [
                {
                    "number": f.tranche.number,
                    "decision_id": row.decision_id,
                    "amount": f.tranche.amount,
                    "condition": f.tranche.condition,
                    "status": row.status,
                    "released_at": row.released_at,
                    "allowed": f.allowed,
                    "paid": f.tranche.paid,
                    "arrears": f.arrears,
                    "overdue": f.tranche.overdue,
                }
                for row, f in zip(rows, s.tranches, strict=True)
            ],
        }

    def pay(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int,
        number: int,
        amount: Decimal,
        paid_on: dt.date,
    ) -> dict[str, Any]:
        """Register a payment against tranche `number`; refused, with nothing written, when the
        tranche is not released or the amount is above what it still allows."""
        require(actor, Action.case_pay)  # a role that may not pay learns nothing of the case
        case = visible_case(uow, actor, case_id, lock=True)
        require_on_case(uow, actor, Action.case_pay, case)
        currency = self._currency(case)
        try:
            money = Money(amount, currency)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if money <= 0:
            raise InvalidRequest("a payment is more than nothing")
        rows, s = schedule_of(uow, case, currency, self.clock.now())
        found = next(
            ((row, f) for row, f in zip(rows, s.tranches, strict=True) if row.number == number),
            None,
        )
        if found is None:  # the case is there; its tranches come with its confirmed decisions
            raise Conflict(
                f"case {case_id} has no tranche {number}: a case's tranches are made when a "
                f"decision on it is confirmed, and it has {len(rows)}"
            )
        row, figure = found
        if money > figure.arrears:
            raise PaymentAboveTranche(
                f"tranche {number} allows {figure.arrears} {currency} more "
                f"({row.status}; allowed {figure.allowed}, paid {figure.tranche.paid}); "
                f"refused {money} {currency}",
                tranche=number,
                still_allowed=str(figure.arrears),
            )
        now = self.clock.now()
        uow.tranches.pay(
            row,
            Disbursement(
                case_id=case_id,
                amount=money,
                kind=PaymentKind.registered,
                paid_at=now,
                paid_on=paid_on,
            ),
        )
        disbursed = Money(case.disbursed_amount, currency) + money
        balance = max(Money(0, currency), Money(case.balance_due, currency) - money)
        event = audit.record(
            uow,
            kind=EventKind.amended,
            actor=actor,
            now=now,
            case_id=case_id,
            transition="tranche_paid",
            from_state=case.state,
            to_state=case.state,
            case_version=case.version + 1,
            inputs={"tranche": number, "amount": money, "paid_on": paid_on},
            changes={"disbursed_amount": disbursed, "balance_due": balance},
            details={
                "tranche": number,
                "condition": row.condition,
                "still_allowed": figure.arrears - money,
            },
        )
        uow.cases.apply(case, updates(event.body))
        return self.schedule(uow, actor, case_id)

    def overdue(self, uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
        """Due tranches whose releasing report's deadline has passed (flagged, not moved)."""
        rows = uow.tranches.overdue(overdue_rules(), self.clock.now(), party_filter(actor))
        return [
            {
                "case_id": t.case_id,
                "title": case.title,
                "state": case.state,
                "number": t.number,
                "amount": t.amount,
                "condition": t.condition,
            }
            for t, case in rows
        ]
