"""Named effects: what a transition does to a case beyond moving it, as changes and records."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workflow.allocation import split_by_year
from workflow.case import (
    BudgetRecorded,
    CaseFacts,
    CommitmentsMade,
    DeadlineScheduled,
    DecisionConfirmed,
    DecisionProposed,
    DecisionWithdrawn,
    Disbursed,
    Outcome,
    ReportAssessed,
    TranchesPlanned,
    TransitionRequest,
)
from workflow.deadlines import rule_due
from workflow.lifecycle import CostLine, DeadlineKind
from workflow.programmes import PaymentTiming
from workflow.reports import assess, eligible_total
from workflow.statuses import PaymentKind
from workflow.tranches import met_by, split

Effect = Callable[[CaseFacts, TransitionRequest, Outcome], None]

EFFECTS: dict[str, Effect] = {}
# Facts beyond the case's own columns an effect reads (see CaseFacts), by effect name.
EFFECT_NEEDS: dict[str, frozenset[str]] = {}


def effect(name: str, needs: tuple[str, ...] = ()) -> Callable[[Effect], Effect]:
    def register(fn: Effect) -> Effect:
        EFFECTS[name] = fn
        EFFECT_NEEDS[name] = frozenset(needs)
        return fn

    return register


@effect("record_application")
def record_application(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.changes["requested_amount"] = request.inputs["requested_amount"]
    if "target_group_size" in request.inputs:
        out.changes["target_group_size"] = request.inputs["target_group_size"]
    if "budget" in request.inputs:
        out.records.append(
            BudgetRecorded(tuple(CostLine.of(line) for line in request.inputs["budget"]))
        )


@effect("propose_decision")
def propose_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """A decision carries a ceiling, a period and conditions (seeds/001)."""
    i = request.inputs
    out.records.append(
        DecisionProposed(i["amount"], i["period_start"], i["period_end"], i.get("conditions", ""))
    )


@effect("confirm_decision", needs=("pending_decision",))
def confirm_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    assert case.pending_decision is not None  # the four_eyes guard has checked
    amount = case.pending_decision.amount
    out.changes["granted_amount"] = case.granted_amount + amount
    out.changes["period_start"] = case.pending_decision.period_start
    out.changes["period_end"] = case.pending_decision.period_end
    out.records.append(DecisionConfirmed())
    # In tranches as the programme's [payment] says; what the decision itself releases is paid
    # with it when the programme pays up front (seeds/000, 004), nothing when in arrears (002).
    planned = split(amount, case.programme.payment.schedule)
    met = met_by(request.name)
    out.records.append(TranchesPlanned(planned, met))
    advance = sum((t.amount for t in planned if t.condition in met), case.money(0))
    if case.programme.payment.timing is PaymentTiming.up_front and advance > 0:
        out.changes["disbursed_amount"] = case.disbursed_amount + advance
        out.records.append(Disbursed(advance, PaymentKind.advance))


@effect("commit_by_fiscal_year", needs=("pending_decision", "pool_lock"))
def commit_by_fiscal_year(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """A multi-year decision as commitments one fiscal year at a time (seeds/002, seeds/004)."""
    decision = case.pending_decision
    assert decision is not None
    by_year = tuple(split_by_year(decision.amount, decision.period_start, decision.period_end))
    out.records.append(CommitmentsMade(by_year))
    out.explanation["commitments"] = {str(year): amount for year, amount in by_year}


@effect("return_decision")
def return_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    out.records.append(DecisionWithdrawn(request.inputs["reason"]))


@effect("drop_pending_decision", needs=("pending_decision",))
def drop_pending_decision(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    if case.pending_decision is not None:
        out.records.append(DecisionWithdrawn("the application was withdrawn"))


@effect("assess_report", needs=("budget",))
def assess_report(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """Record the report's costs and what of them counts, line by line, with the reasons."""
    out.changes["certification"] = request.inputs.get("certification")
    if "cost_lines" not in request.inputs:
        out.changes["reported_costs"] = request.inputs["reported_costs"]
        out.changes["assessed_eligible"] = None
        return
    lines = [CostLine.of(line) for line in request.inputs["cost_lines"]]
    assessed = assess(lines, case.budget_lines, case.programme.costs, case.programme.currency)
    out.changes["reported_costs"] = sum((line.amount for line in lines), case.money(0))
    out.changes["assessed_eligible"] = eligible_total(assessed, case.programme.currency)
    out.records.append(ReportAssessed(tuple(assessed)))
    out.explanation["excluded"] = [
        {
            "line": a.line,
            "category": a.category,
            "amount": a.amount,
            "eligible": a.eligible,
            "reason": a.reason,
        }
        for a in assessed
        if a.reason is not None
    ]


@effect("settle_accounts")
def settle_accounts(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    """Repayment = disbursed − eligible (seeds/000); payout = min(granted, eligible) − paid (seeds/002).

    One rule serves both ways of paying: paid up front, the payout is nothing; paid in arrears,
    nothing has been disbursed, so there is nothing to repay.
    """
    eligible = request.inputs.get("eligible_spent")
    if eligible is None:  # as assessed line by line, or as reported when not by line
        eligible = (
            case.assessed_eligible if case.assessed_eligible is not None else case.reported_costs
        )
    zero = case.money(0)
    eligible = eligible if eligible is not None else zero
    to_repay = max(zero, case.disbursed_amount - eligible)
    balance_due = max(zero, min(case.granted_amount, eligible) - case.disbursed_amount)
    out.changes.update(eligible_spent=eligible, to_repay=to_repay, balance_due=balance_due)
    out.explanation["settlement"] = {
        "granted": case.granted_amount,
        "disbursed": case.disbursed_amount,
        "eligible_spent": eligible,
        "to_repay": to_repay,
        "balance_due": balance_due,
        "rules": [
            "to_repay = max(0, disbursed - eligible_spent)",
            "balance_due = max(0, min(granted, eligible_spent) - disbursed)",
        ],
    }


@effect("pay_balance")
def pay_balance(case: CaseFacts, request: TransitionRequest, out: Outcome) -> None:
    if case.balance_due > 0:
        out.changes["disbursed_amount"] = case.disbursed_amount + case.balance_due
        out.changes["balance_due"] = case.money(0)
        out.records.append(Disbursed(case.balance_due, PaymentKind.payout))


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
