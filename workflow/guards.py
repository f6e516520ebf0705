"""Named guards: checks a transition must pass. Each returns None, or the reason it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflow.case import CaseFacts, TransitionRequest
from workflow.checklists import GUARD as CHECKLIST
from workflow.checklists import unmet


@dataclass(frozen=True)
class Refusal:
    """Why a guard refused, with facts the caller can act on (shown in the problem+json)."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)


Check = Callable[[CaseFacts, TransitionRequest], "str | Refusal | None"]


@dataclass(frozen=True)
class Guard:
    name: str
    check: Check
    status: int = 409  # 409: the case is not ready for this; 403: this person may not do it
    needs: frozenset[str] = frozenset()  # facts beyond the case's own columns (see CaseFacts)


GUARDS: dict[str, Guard] = {}


def guard(name: str, status: int = 409, needs: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        GUARDS[name] = Guard(name, check, status, frozenset(needs))
        return check

    return register


@guard("four_eyes", status=403, needs=("pending_decision",))
def four_eyes(case: CaseFacts, request: TransitionRequest) -> str | None:
    """A decision needs two people: whoever proposed it cannot confirm it."""
    if case.pending_decision is None:
        return "there is no proposed decision to confirm"
    if case.pending_decision.proposed_by == request.actor.user_id:
        return "the decision was proposed by the same person; a second person must confirm it"
    return None


@guard("before_application_deadline", needs=("call",))
def before_application_deadline(case: CaseFacts, request: TransitionRequest) -> Refusal | None:
    """Applications after the call's deadline are not processed (seeds/002: "Ansøgninger sendt
    efter fristens udløb, vil ikke blive behandlet")."""
    if case.call is None or case.call.application_deadline is None:
        return None
    zone = case.programme.zone
    deadline = case.call.application_deadline.replace(tzinfo=zone)
    if request.now < deadline:
        return None
    return Refusal(
        f"the deadline for call {case.call.code} was {deadline.strftime('%d-%m-%Y %H:%M')} "
        f"({case.programme.time_zone}); applications after it are not processed",
        {
            "deadline": deadline.isoformat(),
            "deadline_utc": deadline.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "time_zone": case.programme.time_zone,
            "rule": f"{case.programme.code}#calls.{case.call.code}.application_deadline",
            "now": request.now.isoformat().replace("+00:00", "Z"),
        },
    )


@guard("period_is_ordered")
def period_is_ordered(case: CaseFacts, request: TransitionRequest) -> str | None:
    start, end = request.inputs["period_start"], request.inputs["period_end"]
    if end < start:
        return f"the period ends ({end}) before it starts ({start})"
    return None


@guard("not_above_requested")
def not_above_requested(case: CaseFacts, request: TransitionRequest) -> str | None:
    amount = request.inputs["amount"]
    if case.requested_amount is not None and amount > case.requested_amount:
        return f"the amount {amount} is more than the {case.requested_amount} applied for"
    return None


@guard("eligible_within_reported")
def eligible_within_reported(case: CaseFacts, request: TransitionRequest) -> str | None:
    eligible = request.inputs.get("eligible_spent")
    if eligible is None:
        return None
    if case.reported_costs is not None and eligible > case.reported_costs:
        return f"eligible costs {eligible} exceed the {case.reported_costs} reported"
    if case.assessed_eligible is not None and eligible > case.assessed_eligible:
        return f"eligible costs {eligible} exceed the {case.assessed_eligible} the report's lines allow"
    return None


@guard("report_states_costs")
def report_states_costs(case: CaseFacts, request: TransitionRequest) -> str | None:
    by_line, total = request.inputs.get("cost_lines"), request.inputs.get("reported_costs")
    if (by_line is None) == (total is None):
        return "give the costs either line by line (cost_lines) or as one total (reported_costs)"
    costs = case.programme.costs
    if by_line is None and costs is not None and costs.budget_lines_required:
        return "this programme's accounts must follow the approved budget lines: give cost_lines"
    return None


@guard("certified_as_required")
def certified_as_required(case: CaseFacts, request: TransitionRequest) -> Refusal | None:
    """Accounts above the threshold need an auditor's certification, others management's at least
    (seeds/002: revisorpåtegnet over 500.000 kr., ellers ledelsespåtegnet)."""
    rule = case.programme.certification
    if rule is None:
        return None
    needed = "auditor" if case.granted_amount > rule.auditor_above else "management"
    details = {
        "rule": f"{case.programme.code}#certification.auditor_above",
        "threshold": str(rule.auditor_above),
        "granted": str(case.granted_amount),
        "required": needed,
        "given": case.certification,
    }
    currency = case.programme.currency
    if case.certification is None:
        return Refusal(
            f"the report does not say who certified the accounts ({needed} required)", details
        )
    if needed == "auditor" and case.certification != "auditor":
        return Refusal(
            f"a grant of {case.granted_amount} {currency} is above {rule.auditor_above} {currency}: "
            f"the accounts need an auditor's certification, not {case.certification}'s",
            details,
        )
    return None


@guard("eligible_applicants", needs=("parties", "agreement"))
def eligible_applicants(case: CaseFacts, request: TransitionRequest) -> Refusal | None:
    """Who may apply (seeds/004: municipalities, regions, non-profit associations, foundations) and,
    for cluster programmes, at least N municipalities under one agreement still valid on the day
    of the decision (seeds/000)."""
    rules = case.programme.eligibility
    if rules is None:
        return None
    code = case.programme.code

    def refuse(key: str, reason: str, **details: Any) -> Refusal:
        return Refusal(
            f"eligibility.{key}: {reason}", {"rule": f"{code}#eligibility.{key}", **details}
        )

    leads = [p for p in case.parties if p.is_lead]
    if len(leads) != 1:
        return refuse(
            "lead", f"a joint application names exactly one lead applicant, not {len(leads)}"
        )
    wrong = sorted({p.kind for p in case.parties} - set(rules.applicant_kinds))
    if wrong:
        return refuse(
            "applicant_kinds",
            f"{', '.join(wrong)} may not apply; {', '.join(rules.applicant_kinds)} may",
        )
    cluster = rules.cluster
    if cluster is None:
        return None
    municipalities = {p.organisation_id for p in case.parties if p.kind == "municipality"}
    if len(municipalities) < cluster.min_municipalities:
        return refuse(
            "cluster.min_municipalities",
            f"the application comes from {len(municipalities)} municipalities; at least {cluster.min_municipalities} are required",
        )
    agreement = case.agreement
    if agreement is None:
        return refuse("cluster.agreement", "the cluster names no joint local agreement")
    outside = sorted(municipalities - agreement.party_ids)
    if outside:
        return refuse(
            "cluster.agreement",
            f"organisations {outside} are not parties to the agreement '{agreement.title}'",
        )
    day = request.now.astimezone(case.programme.zone).date()
    if day < agreement.valid_from or (agreement.valid_to is not None and day > agreement.valid_to):
        ended = (
            f"expired on {agreement.valid_to}"
            if agreement.valid_to and day > agreement.valid_to
            else f"starts on {agreement.valid_from}"
        )
        return refuse(
            "cluster.agreement_valid_on",
            f"the agreement '{agreement.title}' {ended}; it must be valid on the decision date {day}",
            agreement_id=agreement.id,
            decision_date=day.isoformat(),
        )
    if agreement.local_tracks < cluster.min_local_tracks:
        return refuse(
            "cluster.min_local_tracks",
            f"the agreement describes {agreement.local_tracks} local tracks; at least {cluster.min_local_tracks} are required",
        )
    return None


@guard("within_pool", needs=("pool", "pending_decision"))
def within_pool(case: CaseFacts, request: TransitionRequest) -> Refusal | None:
    """A decision cannot commit more than the programme's pool has left, all its calls together."""
    budget = case.programme.budget
    if budget is None or case.pool is None:
        return None
    amount = request.inputs.get("amount")
    if amount is None:
        amount = case.pending_decision.amount if case.pending_decision else case.money(0)
    left = case.money(budget.pool) - budget.committed_before - case.pool.committed
    if amount <= left:
        return None
    currency = case.programme.currency
    return Refusal(
        f"the pool has {left} {currency} left; this decision would commit {amount} {currency}",
        {
            "rule": f"{case.programme.code}#budget.pool",
            "pool": str(budget.pool),
            "committed_before": str(budget.committed_before),
            "committed": str(case.pool.committed),
            "left": str(left),
            "amount": str(amount),
            "currency": currency,
        },
    )


@guard("nothing_to_repay")
def nothing_to_repay(case: CaseFacts, request: TransitionRequest) -> str | None:
    if case.to_repay > 0:
        return f"{case.to_repay} {case.programme.currency} is to be repaid; claim it first"
    return None


@guard("something_to_repay")
def something_to_repay(case: CaseFacts, request: TransitionRequest) -> str | None:
    if case.to_repay <= 0:
        return "nothing is to be repaid"
    return None


@guard("payment_matches_claim")
def payment_matches_claim(case: CaseFacts, request: TransitionRequest) -> str | None:
    amount = request.inputs["amount"]
    if amount != case.to_repay:
        return f"the payment {amount} does not match the claim of {case.to_repay} {case.programme.currency}"
    return None


@guard(CHECKLIST, needs=("checklist",))
def checklist_complete(case: CaseFacts, request: TransitionRequest) -> Refusal | None:
    """The programme's assessment checklist, as far as this transition waits for it
    (`required_for` in config/programmes/*.toml), is answered and every answer meets its minimum
    (seeds/003: a local agreement describing at least three local tracks)."""
    missing = unmet(case.programme.checklist, request.name, case.checklist)
    if not missing:
        return None
    code = case.programme.code
    return Refusal(
        "the assessment checklist is not complete: "
        + "; ".join(f"{m.criterion.key}: {m.reason}" for m in missing),
        {
            "rule": f"{code}#checklist",
            "unmet": [
                {
                    "key": m.criterion.key,
                    "label": dict(m.criterion.label),
                    "source": m.criterion.source,
                    "reason": m.reason,
                    "rule": f"{code}#checklist.{m.criterion.key}",
                }
                for m in missing
            ],
        },
    )
