"""Named effects: what a transition does to a case beyond moving it, as changes and records."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workflow.case import (
    ZERO,
    CaseFacts,
    DeadlineScheduled,
    DecisionConfirmed,
    DecisionProposed,
    DecisionWithdrawn,
    Outcome,
    TransitionRequest,
)
from workflow.deadlines import rule_due
from workflow.lifecycle import DeadlineKind
from workflow.programmes import PaymentTiming

Effect = Callable[[CaseFacts, TransitionRequest, Outcome], None]

EFFECTS: dict[str, Effect] = {}


def effect(name: str) -> Callable[[Effect], Effect]:
    def register(fn: Effect) -> Effect:
        EFFECTS[name] = fn
        return fn

    return register


@effect("record_requested_amount")
def record_requested_amount(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.changes["requested_amount"] = request.inputs["requested_amount"]


@effect("propose_decision")
def propose_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """A decision carries a ceiling, a period and conditions (seeds/001)."""
    i = request.inputs
    out.records.append(
        DecisionProposed(i["amount"], i["period_start"], i["period_end"], i.get("conditions", ""))
    )


@effect("confirm_decision")
def confirm_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    assert case.pending_decision is not None  # the four_eyes guard has checked
    amount = case.pending_decision.amount
    out.changes["granted_amount"] = case.granted_amount + amount
    out.changes["period_start"] = case.pending_decision.period_start
    out.changes["period_end"] = case.pending_decision.period_end
    if case.programme.payment.timing is PaymentTiming.up_front:
        out.changes["disbursed_amount"] = case.disbursed_amount + amount
    out.records.append(DecisionConfirmed())


@effect("return_decision")
def return_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.records.append(DecisionWithdrawn(request.inputs["reason"]))


@effect("drop_pending_decision")
def drop_pending_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    if case.pending_decision is not None:
        out.records.append(DecisionWithdrawn("the application was withdrawn"))


@effect("record_reported_costs")
def record_reported_costs(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.changes["reported_costs"] = request.inputs["reported_costs"]


@effect("settle_accounts")
def settle_accounts(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """Repayment = disbursed − eligible (seeds/000); payout = min(granted, eligible) − paid (seeds/002).

    One rule serves both ways of paying: paid up front, the payout is nothing; paid in arrears,
    nothing has been disbursed, so there is nothing to repay.
    """
    eligible = request.inputs["eligible_spent"]
    out.changes["eligible_spent"] = eligible
    out.changes["to_repay"] = max(ZERO, case.disbursed_amount - eligible)
    out.changes["balance_due"] = max(
        ZERO, min(case.granted_amount, eligible) - case.disbursed_amount
    )


@effect("pay_balance")
def pay_balance(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    if case.balance_due > 0:
        out.changes["disbursed_amount"] = case.disbursed_amount + case.balance_due
        out.changes["balance_due"] = ZERO


@effect("claim_everything_disbursed")
def claim_everything_disbursed(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """No final report: everything received counts as unused and is claimed back (seeds/000)."""
    out.changes["to_repay"] = case.disbursed_amount


@effect("record_repayment")
def record_repayment(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.changes["repaid_amount"] = case.repaid_amount + request.inputs["amount"]


def deadline_effects(kinds: Mapping[str, DeadlineKind]) -> dict[str, Effect]:
    """A `schedule_<kind>` effect for each deadline kind of a lifecycle: each computes its due
    time from the programme's [deadlines.<kind>] rule and does nothing if there is no such rule."""

    def schedule(kind: DeadlineKind) -> Effect:
        def effect(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
            call = case.call
            anchors = {
                "now": request.now,
                "period_end": case.period_end,
                "call.application_deadline": call.application_deadline if call else None,
                "call.decision_expected_by": call.decision_expected_by if call else None,
            }
            due = rule_due(case.programme, kind.name, anchors)
            if due is not None:
                rule = f"{case.programme.code}#deadlines.{kind.name}"
                out.records.append(
                    DeadlineScheduled(kind.name, due, kind.fires, case.programme.time_zone, rule)
                )

        return effect

    return {f"schedule_{name}": schedule(kind) for name, kind in kinds.items()}
