"""What the rules know about a case, what a request to move it carries, and what firing produces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from workflow.actors import Actor
from workflow.lifecycle import CostLine
from workflow.money import Money
from workflow.programmes import Call, ProgrammeConfig
from workflow.statuses import PaymentKind

ZERO = Decimal("0.00")

# Case columns the rules read and effects change. Each is also a key in the `changes` of the audit
# events, which is how a case is rebuilt as it stood on any date.
PERIOD_FIELDS = ("period_start", "period_end")  # the confirmed decision's grant period
REPORT_FIELDS = ("target_group_size", "assessed_eligible", "certification")

# The money a case carries, in the programme's currency.
AMOUNT_FIELDS = (
    "requested_amount",  # what the applicant asked for
    "granted_amount",  # the sum of confirmed decisions
    "disbursed_amount",  # paid out so far
    "reported_costs",  # costs in the final report
    "eligible_spent",  # costs the caseworker accepted as eligible
    "to_repay",  # claimed back: disbursed − eligible, never below zero
    "balance_due",  # still to pay out: min(granted, eligible) − disbursed, never below zero
    "repaid_amount",  # repayments received
)


@dataclass(frozen=True)
class PendingDecision:
    """A proposed decision waiting for a second person to confirm it."""

    amount: Money
    period_start: dt.date
    period_end: dt.date
    conditions: str
    proposed_by: int | None


@dataclass(frozen=True)
class PartyFacts:
    organisation_id: int
    kind: str
    is_lead: bool


@dataclass(frozen=True)
class AgreementFacts:
    """A joint local agreement between municipalities and the employment service (seeds/000, 003)."""

    id: int
    title: str
    valid_from: dt.date
    valid_to: dt.date | None
    party_ids: frozenset[int]
    local_tracks: int


@dataclass(frozen=True)
class PoolFacts:
    """What the programme's pool has committed in confirmed decisions, across all its calls."""

    committed: Decimal


@dataclass(frozen=True)
class CaseFacts:
    id: int
    programme: ProgrammeConfig
    state: str
    version: int
    organisation_id: int
    pending_decision: PendingDecision | None = None
    parties: tuple[PartyFacts, ...] = ()
    agreement: AgreementFacts | None = None
    pool: PoolFacts | None = None
    budget_lines: tuple[CostLine, ...] = ()
    # The assessment checklist's answers as stored, by criterion key (workflow/checklists.py).
    checklist: Mapping[str, Any] = field(default_factory=dict)
    call: Call | None = None
    target_group_size: int | None = None
    assessed_eligible: Money | None = None
    certification: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    requested_amount: Money | None = None
    granted_amount: Money = ZERO  # type: ignore[assignment]  # made Money in __post_init__
    disbursed_amount: Money = ZERO  # type: ignore[assignment]  # made Money in __post_init__
    reported_costs: Money | None = None
    eligible_spent: Money | None = None
    to_repay: Money = ZERO  # type: ignore[assignment]  # made Money in __post_init__
    balance_due: Money = ZERO  # type: ignore[assignment]  # made Money in __post_init__
    repaid_amount: Money = ZERO  # type: ignore[assignment]  # made Money in __post_init__

    def __post_init__(self) -> None:
        # The edge where amounts become Money: whoever builds the facts (storage, a test) hands
        # in Decimals, and the rules see amounts in the programme's currency.
        currency = self.programme.currency
        for name in (*AMOUNT_FIELDS, "assessed_eligible"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Money):
                object.__setattr__(self, name, Money(value, currency))
        if (p := self.pending_decision) is not None and not isinstance(p.amount, Money):
            object.__setattr__(
                self, "pending_decision", replace(p, amount=Money(p.amount, currency))
            )

    def money(self, amount: Decimal | int | str) -> Money:
        """`amount` in this case's currency."""
        return Money(amount, self.programme.currency)


@dataclass(frozen=True)
class TransitionRequest:
    name: str
    actor: Actor
    inputs: dict[str, Any]
    now: dt.datetime


# Facts an effect asks the storage layer to record beside the case's own columns.
@dataclass(frozen=True)
class DecisionProposed:
    amount: Money
    period_start: dt.date
    period_end: dt.date
    conditions: str


@dataclass(frozen=True)
class DecisionConfirmed:
    pass


@dataclass(frozen=True)
class DecisionWithdrawn:
    """The pending proposal is returned to the caseworker or dropped with the application."""

    reason: str


@dataclass(frozen=True)
class DeadlineScheduled:
    """A deadline to keep: at `due_at` the scheduler fires `fires` (or only flags the case)."""

    kind: str
    due_at: dt.datetime
    fires: str | None
    time_zone: str
    rule: str  # where the rule lives: "<programme>#deadlines.<kind>"


@dataclass(frozen=True)
class BudgetRecorded:
    lines: tuple[CostLine, ...]


@dataclass(frozen=True)
class ReportAssessed:
    lines: tuple[Any, ...]  # workflow.reports.AssessedLine


@dataclass(frozen=True)
class CommitmentsMade:
    """A decision's amount as commitments per fiscal year (seeds/002, seeds/004)."""

    by_year: tuple[tuple[int, Money], ...]


@dataclass(frozen=True)
class TranchesPlanned:
    """The confirmed decision's amount in tranches, each released when its condition is met;
    `met` are the conditions the confirming transition meets itself (the decision)."""

    tranches: tuple[Any, ...]  # workflow.tranches.PlannedTranche
    met: frozenset[str]


@dataclass(frozen=True)
class Disbursed:
    """A payment the lifecycle makes by itself, against the tranches released so far."""

    amount: Money
    kind: PaymentKind


Record = (
    DecisionProposed
    | DecisionConfirmed
    | DecisionWithdrawn
    | DeadlineScheduled
    | BudgetRecorded
    | ReportAssessed
    | CommitmentsMade
    | TranchesPlanned
    | Disbursed
)


@dataclass
class Outcome:
    """What a transition's effects changed: new values for case columns, and records to store."""

    changes: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    # The figures a rule worked from, for the audit event (a settlement's arithmetic, say).
    explanation: dict[str, Any] = field(default_factory=dict)
