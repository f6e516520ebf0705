"""Sharing a pooled call: the floor, the proportion, the requests, whole units, exact sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.allocation import Application, allocate, split_by_year

applications = st.lists(
    st.tuples(st.integers(0, 2_000_000), st.integers(0, 50_000)), min_size=1, max_size=40
).map(lambda rows: [Application(f"case-{i:03d}", Decimal(r), w) for i, (r, w) in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(
    pool=st.integers(0, 20_000_000),
    floor=st.integers(0, 100_000),
    apps=applications,
    data=st.data(),
)
def test_allocation_sums_exactly_keeps_floor_and_request_and_ignores_order(
    pool: int, floor: int, apps, data
) -> None:
    result = allocate(Decimal(pool), Decimal(floor), apps)
    requested = sum(int(a.requested) for a in apps)
    floors = sum(min(floor, int(a.requested)) for a in apps)
    if floors > pool and requested > pool:
        assert not result.feasible
        assert "floors alone" in result.explanation
        return
    assert result.feasible
    assert sum(result.amounts.values()) == min(pool, requested)
    for a in apps:
        amount = result.amounts[a.key]
        assert isinstance(amount, int)
        assert min(floor, int(a.requested)) <= amount <= int(a.requested)
    shuffled = data.draw(st.permutations(apps))
    assert allocate(Decimal(pool), Decimal(floor), shuffled).amounts == result.amounts


def test_star_pool_gives_each_the_floor_and_the_rest_by_target_group() -> None:
    # 5.3 MDKK, floor 20 000 (seeds/002); four municipalities asking for more than there is.
    apps = [
        Application("aarhus", Decimal("3000000"), 3000),
        Application("odense", Decimal("2000000"), 2000),
        Application("aalborg", Decimal("1500000"), 1000),
        Application("laeso", Decimal("30000"), 10),
    ]
    result = allocate(Decimal("5300000"), Decimal("20000"), apps)
    assert result.feasible and sum(result.amounts.values()) == 5_300_000
    assert result.amounts["laeso"] == 20_000 + round((5_300_000 - 80_000) * 10 / 6010)
    # After the floors, the rest goes 3000 : 2000 : 1000 : 10.
    rest = {k: v - 20_000 for k, v in result.amounts.items()}
    assert abs(rest["aarhus"] / rest["odense"] - 1.5) < 0.001
    assert abs(rest["odense"] / rest["aalborg"] - 2.0) < 0.001


def test_no_one_gets_more_than_they_asked_for_and_the_rest_goes_to_the_others() -> None:
    apps = [
        Application("small", Decimal("25000"), 5000),
        Application("large", Decimal("900000"), 5000),
    ]
    result = allocate(Decimal("500000"), Decimal("20000"), apps)
    assert result.amounts == {"small": 25000, "large": 475000}


def test_when_the_floors_alone_exceed_the_pool_the_preview_says_so() -> None:
    apps = [Application(f"m{i}", Decimal("100000"), 100) for i in range(10)]
    result = allocate(Decimal("150000"), Decimal("20000"), apps)
    assert not result.feasible and result.amounts == {}
    assert result.explanation.startswith("the floors alone (200000) exceed the pool (150000)")


def test_a_multi_year_decision_is_committed_one_fiscal_year_at_a_time() -> None:
    # seeds/001: 1 050 000 SEK for 1 October 2020 to 31 December 2021: 92 days, then 365.
    years = split_by_year(Decimal("1050000"), dt.date(2020, 10, 1), dt.date(2021, 12, 31))
    assert [y for y, _ in years] == [2020, 2021]
    assert sum(a for _, a in years) == Decimal("1050000")
    assert years[0][1] == Decimal("211378.56")
