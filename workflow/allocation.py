"""Sharing a pool between applications: a floor for each, the rest by weight, never above the request.

The rule of seeds/002 (STAR): every municipality is guaranteed at least the floor (20 000 DKK);
if the applications ask for more than the pool holds, the pool is shared in proportion to each
applicant's share of the target group. Amounts are whole currency units and the parts sum to
exactly the pool, or to the total requested when that is less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from workflow.money import NO_CURRENCY, Money


@dataclass(frozen=True)
class Application:
    key: str  # anything unique and stable (a case id); ties are broken by it, never by order
    requested: Decimal
    weight: int  # the size of the applicant's target group


@dataclass(frozen=True)
class Allocation:
    feasible: bool
    amounts: dict[str, int]
    pool: int
    total_requested: int
    floors_total: int
    explanation: str


def whole_units(amount: Decimal) -> int:
    return int(amount.to_integral_value(rounding=ROUND_FLOOR))


def allocate(pool: Decimal, floor: Decimal, applications: Iterable[Application]) -> Allocation:
    apps = sorted(applications, key=lambda a: a.key)
    if len({a.key for a in apps}) != len(apps):
        raise ValueError("application keys must be unique")
    pool_units, floor_units = whole_units(pool), whole_units(floor)
    caps = {a.key: whole_units(a.requested) for a in apps}
    total_requested = sum(caps.values())
    floors = {a.key: min(floor_units, caps[a.key]) for a in apps}
    floors_total = sum(floors.values())

    if total_requested <= pool_units:
        return Allocation(
            True,
            dict(caps),
            pool_units,
            total_requested,
            floors_total,
            "every application gets what it asked for: together they ask for no more than the pool",
        )
    if floors_total > pool_units:
        return Allocation(
            False,
            {},
            pool_units,
            total_requested,
            floors_total,
            f"the floors alone ({floors_total}) exceed the pool ({pool_units}): {len(apps)} applications at up to {floor_units} each",
        )
    shares = _share_by_weight(
        pool_units - floors_total,
        {a.key: caps[a.key] - floors[a.key] for a in apps},
        {a.key: a.weight for a in apps},
    )
    amounts = {key: floors[key] + shares[key] for key in caps}
    assert sum(amounts.values()) == pool_units
    return Allocation(
        True,
        amounts,
        pool_units,
        total_requested,
        floors_total,
        "each gets the floor, the rest of the pool in proportion to its target group, never more than it asked for",
    )


def _share_by_weight(amount: int, room: dict[str, int], weights: dict[str, int]) -> dict[str, int]:
    """Share `amount` whole units by weight, none above its room: water-filling, then the
    largest remainders get the odd units."""
    given: dict[str, Fraction] = {k: Fraction(0) for k in room}
    active = {k for k, r in room.items() if r > 0}
    left = Fraction(amount)
    while active and left > 0:
        total_weight = sum(weights[k] for k in active)
        share = {
            k: left * (weights[k] if total_weight else 1) / (total_weight or len(active))
            for k in active
        }
        full = {k for k in active if share[k] >= room[k]}
        if not full:
            for k in active:
                given[k] = share[k]
            left = Fraction(0)
            break
        for k in full:
            given[k] = Fraction(room[k])
            left -= room[k]
            active.discard(k)
    whole = {k: int(v) for k, v in given.items()}  # floors: Fractions here are never negative
    odd_units = amount - sum(whole.values())
    by_remainder = sorted(given, key=lambda k: (-(given[k] - whole[k]), -weights[k], k))
    for k in by_remainder[:odd_units]:
        whole[k] += 1
    return whole


def split_by_year(amount: Decimal, start: dt.date, end: dt.date) -> list[tuple[int, Money]]:
    """A multi-year amount as commitments per fiscal (calendar) year, by days in each year, in
    whole öre, summing exactly (seeds/002: "tilsagn om tilskud vil blive givet for ét år af gangen")."""
    if end < start:
        raise ValueError("the period ends before it starts")
    days: list[tuple[int, int]] = []
    for year in range(start.year, end.year + 1):
        first = max(start, dt.date(year, 1, 1))
        last = min(end, dt.date(year, 12, 31))
        days.append((year, (last - first).days + 1))
    money = amount if isinstance(amount, Money) else Money(amount, NO_CURRENCY)
    cents = money.cents
    shares = _share_by_weight(cents, {str(y): cents for y, _ in days}, {str(y): d for y, d in days})
    return [(y, Money.from_cents(shares[str(y)], money.currency)) for y, _ in days]


def describe(
    allocation: Allocation, applications: Sequence[Application]
) -> list[dict[str, object]]:
    return [
        {
            "key": a.key,
            "requested": whole_units(a.requested),
            "weight": a.weight,
            "amount": allocation.amounts.get(a.key),
        }
        for a in sorted(applications, key=lambda a: a.key)
    ]
