"""Named guards: checks a transition must pass. Each returns None, or the reason it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflow.case import CaseFacts, TransitionRequest


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


GUARDS: dict[str, Guard] = {}


def guard(name: str, status: int = 409) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        GUARDS[name] = Guard(name, check, status)
        return check

    return register


@guard("four_eyes", status=403)
def four_eyes(case: CaseFacts, request: TransitionRequest) -> str | None:
    """A decision needs two people: whoever proposed it cannot confirm it."""
    if case.pending_decision is None:
        return "there is no proposed decision to confirm"
    if case.pending_decision.proposed_by == request.actor.user_id:
        return "the decision was proposed by the same person; a second person must confirm it"
    return None


@guard("before_application_deadline")
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
    eligible = request.inputs["eligible_spent"]
    if case.reported_costs is not None and eligible > case.reported_costs:
        return f"eligible costs {eligible} exceed the {case.reported_costs} reported"
    return None


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
