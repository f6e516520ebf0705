"""Final reports: which reported costs count, line by line, and why the others do not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workflow.lifecycle import CostLine
from workflow.money import Money
from workflow.programmes import Costs


@dataclass(frozen=True)
class AssessedLine:
    line: str
    category: str
    amount: Money
    eligible: Money
    reason: str | None  # why (part of) the line does not count; None when all of it does


def assess(
    reported: Iterable[CostLine], approved: Iterable[CostLine], rules: Costs | None, currency: str
) -> list[AssessedLine]:
    """Each reported line with the part that counts: nothing for an ineligible category (seeds/000,
    seeds/002) or a line outside the approved budget (seeds/002: "Regnskabet skal modsvares af
    udgiftsposterne i det godkendte budget"), and never more than the line was approved for."""
    zero = Money.zero(currency)
    budget: dict[str, Money] = {}
    for line in approved:
        budget[line.line] = budget.get(line.line, zero) + line.amount
    spent_on: dict[str, Money] = {}
    assessed = []
    for line in reported:
        reason = _category_refusal(line.category, rules)
        if (
            reason is None
            and rules is not None
            and rules.budget_lines_required
            and line.line not in budget
        ):
            reason = f"'{line.line}' is not a line of the approved budget"
        if reason is not None:
            assessed.append(AssessedLine(line.line, line.category, line.amount, zero, reason))
            continue
        eligible = line.amount
        if line.line in budget:
            room = max(zero, budget[line.line] - spent_on.get(line.line, zero))
            if eligible > room:
                reason = f"only {room} of it is left on the approved line '{line.line}' ({budget[line.line]})"
                eligible = room
            spent_on[line.line] = spent_on.get(line.line, zero) + eligible
        assessed.append(AssessedLine(line.line, line.category, line.amount, eligible, reason))
    return assessed


def _category_refusal(category: str, rules: Costs | None) -> str | None:
    if rules is None:
        return None
    if category in rules.ineligible:
        return f"{category} is not eligible: {rules.ineligible[category]}"
    if category not in rules.eligible_categories:
        return f"{category} is not among the eligible categories ({', '.join(rules.eligible_categories)})"
    return None


def eligible_total(lines: Iterable[AssessedLine], currency: str) -> Money:
    return sum((line.eligible for line in lines), Money.zero(currency))
