"""Payment in tranches: the conditions that release one (states/tranches.toml), a programme's
schedule as configured, a decision split into tranches, and what a schedule allows and owes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from states import load_definition
from workflow.money import CENTS, Money


class PaymentTiming(StrEnum):
    up_front = "up_front"  # paid at the decision, unused funds repaid (seeds/000, 004)
    in_arrears = "in_arrears"  # paid after the final report and accounts (seeds/002)


@dataclass(frozen=True)
class Condition:
    """What releases a tranche: one of the transitions in `released_by` firing on its case."""

    name: str
    released_by: frozenset[str]
    overdue_after: str | None  # the deadline kind whose passing makes an unmet condition overdue
    description: str


@cache
def conditions() -> dict[str, Condition]:
    raw = load_definition("tranches")["conditions"]
    return {
        name: Condition(
            name,
            frozenset(c["released_by"]),
            c.get("overdue_after"),
            c.get("description", ""),
        )
        for name, c in raw.items()
    }


def met_by(transition: str) -> frozenset[str]:
    """The conditions `transition` meets when it fires."""
    return frozenset(c.name for c in conditions().values() if transition in c.released_by)


class TrancheRule(BaseModel):
    """One tranche of every decision: its share of the amount, and what releases it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: Decimal | Literal["rest"] = Field(description='a fraction such as "0.5", or "rest"')
    condition: str
    source: str = Field(min_length=1, description="the line of the seed text that says so")

    @field_validator("share")
    @classmethod
    def _fraction(cls, value: Decimal | str) -> Decimal | str:
        if isinstance(value, Decimal) and not Decimal(0) < value <= Decimal(1):
            raise ValueError("a share is more than 0 and at most 1")
        return value

    @field_validator("condition")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in conditions():
            raise ValueError(
                f"unknown condition {value!r} (states/tranches.toml has {', '.join(conditions())})"
            )
        return value


def _default(timing: PaymentTiming) -> tuple[TrancheRule, ...]:
    """A programme that lists no tranches pays everything at once, as its timing says."""
    condition = "decision" if timing is PaymentTiming.up_front else "final_report"
    return (TrancheRule(share="rest", condition=condition, source=f"payment.timing = {timing}"),)


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timing: PaymentTiming
    tranches: list[TrancheRule] = Field(
        default_factory=list, description="none: everything at once, when `timing` says"
    )

    @model_validator(mode="after")
    def _whole(self) -> Payment:
        rests = [t for t in self.tranches if t.share == "rest"]
        shares = sum((t.share for t in self.tranches if isinstance(t.share, Decimal)), Decimal(0))
        if len(rests) > 1:
            raise ValueError('at most one tranche takes the "rest"')
        if self.tranches and not rests and shares != 1:
            raise ValueError(f"the shares of the tranches sum to {shares}, not 1")
        if rests and shares >= 1:
            raise ValueError(f'the other shares sum to {shares}: nothing is left for the "rest"')
        on_decision = any(t.condition == "decision" for t in self.schedule)
        if self.timing is PaymentTiming.in_arrears and on_decision:
            raise ValueError("paid in arrears, no tranche is released on the decision")
        if self.timing is PaymentTiming.up_front and not on_decision:
            raise ValueError("paid up front, some tranche is released on the decision")
        return self

    @property
    def schedule(self) -> tuple[TrancheRule, ...]:
        return tuple(self.tranches) or _default(self.timing)


@dataclass(frozen=True)
class PlannedTranche:
    amount: Money
    condition: str


def split(amount: Money, rules: Sequence[TrancheRule]) -> tuple[PlannedTranche, ...]:
    """A decision's amount by the rules' shares, whole cents down; the "rest" tranche (or the last
    one, if none) takes what is left, so the parts always sum to the amount."""
    parts = [
        Money(0, amount.currency)
        if rule.share == "rest"
        else Money((Decimal(amount) * rule.share).quantize(CENTS, ROUND_DOWN), amount.currency)
        for rule in rules
    ]
    left = amount - sum(parts, Money(0, amount.currency))
    taker = next((i for i, r in enumerate(rules) if r.share == "rest"), len(rules) - 1)
    parts[taker] = parts[taker] + left
    return tuple(PlannedTranche(p, r.condition) for p, r in zip(parts, rules, strict=True))


@dataclass(frozen=True)
class TrancheFacts:
    number: int
    amount: Money
    condition: str
    released: bool
    paid: Money
    overdue: bool = False


@dataclass(frozen=True)
class TrancheFigures:
    tranche: TrancheFacts
    allowed: Money  # what may be paid against it in all
    arrears: Money  # allowed but not paid


@dataclass(frozen=True)
class Schedule:
    tranches: tuple[TrancheFigures, ...]
    scheduled: Money
    released: Money
    allowed: Money
    paid: Money
    arrears: Money
    repayment: Money | None  # None until the final report's eligible costs are known


def figures(
    tranches: Iterable[TrancheFacts], currency: str, granted: Money, eligible: Money | None
) -> Schedule:
    """What each tranche allows: its amount once released; once the final report's eligible
    costs are known, no more in all than min(granted, eligible), taken by the tranches in order
    (seeds/002: paid on the basis of the accounts). Arrears: allowed but unpaid. Repayment:
    paid above that ceiling (seeds/000: received but not used for the purpose)."""
    zero = Money(0, currency)
    ceiling = None if eligible is None else max(zero, min(granted, eligible))
    left = ceiling
    rows = []
    for t in sorted(tranches, key=lambda t: t.number):
        allowed = t.amount if t.released else zero
        if left is not None:
            allowed = min(allowed, left)
            left = left - allowed
        rows.append(TrancheFigures(t, allowed, max(zero, allowed - t.paid)))
    paid = sum((r.tranche.paid for r in rows), zero)
    return Schedule(
        tranches=tuple(rows),
        scheduled=sum((r.tranche.amount for r in rows), zero),
        released=sum((r.tranche.amount for r in rows if r.tranche.released), zero),
        allowed=sum((r.allowed for r in rows), zero),
        paid=paid,
        arrears=sum((r.arrears for r in rows), zero),
        repayment=None if ceiling is None else max(zero, paid - ceiling),
    )
