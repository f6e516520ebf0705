"""Deadlines by the law: the last day of a time limit that falls on a day offices are closed moves
to the next working day, by the Swedish and the Danish rule; months clamp at month end; days are
counted on the local calendar, whatever daylight saving does.

SE: Lag (1930:173) om beräkning av lagstadgad tid, 2 §: a last day on a Saturday, Sunday, public
    holiday, Midsummer Eve, Christmas Eve or New Year's Eve moves to the next working day.
DK: retsplejelovens § 148, stk. 2: a time limit ending on a Saturday, Sunday, public holiday,
    Constitution Day, Christmas Eve or New Year's Eve is extended to the following weekday.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pytest

from config.settings import Settings
from workflow.catalogue import load_catalogue
from workflow.deadlines import WorkingCalendar, add_months, rule_due

CATALOGUE = load_catalogue(Settings().programmes_dir)
SE = WorkingCalendar.of(CATALOGUE.programmes["dua-2021"].programme)
DK = WorkingCalendar.of(CATALOGUE.programmes["star-flere-skal-med-2017"].programme)
D = dt.date

# (calendar, last day as written, the day it moves to, the rule and the day's name)
LAST_DAYS = [
    (SE, D(2026, 6, 19), D(2026, 6, 22), "SE 2 §: Midsummer Eve (Fri), then Midsummer Day, Sunday"),
    (SE, D(2027, 6, 25), D(2027, 6, 28), "SE 2 §: Midsummer Eve 2027 (Fri)"),
    (
        SE,
        D(2026, 12, 24),
        D(2026, 12, 28),
        "SE 2 §: Christmas Eve, Christmas Day, Boxing Day, Sunday",
    ),
    (SE, D(2028, 12, 24), D(2028, 12, 27), "SE 2 §: Christmas Eve on a Sunday, two holidays after"),
    (SE, D(2026, 12, 31), D(2027, 1, 4), "SE 2 §: New Year's Eve, New Year's Day, a weekend"),
    (SE, D(2029, 12, 31), D(2030, 1, 2), "SE 2 §: New Year's Eve (Mon), New Year's Day (Tue)"),
    (SE, D(2027, 3, 26), D(2027, 3, 30), "SE 2 §: Good Friday to Easter Monday"),
    (SE, D(2030, 4, 19), D(2030, 4, 23), "SE 2 §: Good Friday 2030 to Easter Monday"),
    (
        SE,
        D(2026, 5, 14),
        D(2026, 5, 15),
        "SE 2 §: Ascension Day; the squeeze day after is a working day",
    ),
    (SE, D(2027, 6, 6), D(2027, 6, 7), "SE 2 §: National Day on a Sunday"),
    (SE, D(2028, 1, 6), D(2028, 1, 7), "SE 2 §: Epiphany (Thu)"),
    (SE, D(2027, 5, 1), D(2027, 5, 3), "SE 2 §: May Day on a Saturday"),
    (SE, D(2029, 11, 3), D(2029, 11, 5), "SE 2 §: All Saints' Day (Sat)"),
    (SE, D(2026, 3, 7), D(2026, 3, 9), "SE 2 §: a plain Saturday"),
    (SE, D(2026, 3, 10), D(2026, 3, 10), "SE 2 §: a working day stays"),
    (SE, D(2028, 6, 23), D(2028, 6, 26), "SE 2 §: Midsummer Eve 2028 (Fri)"),
    (DK, D(2026, 6, 5), D(2026, 6, 8), "DK § 148: Constitution Day (Fri)"),
    (DK, D(2029, 6, 5), D(2029, 6, 6), "DK § 148: Constitution Day (Tue)"),
    (DK, D(2026, 4, 2), D(2026, 4, 7), "DK § 148: Maundy Thursday to Easter Monday"),
    (DK, D(2028, 4, 13), D(2028, 4, 18), "DK § 148: Maundy Thursday 2028 to Easter Monday"),
    (DK, D(2027, 12, 24), D(2027, 12, 27), "DK § 148: Christmas Eve (Fri) and a weekend"),
    (DK, D(2029, 12, 31), D(2030, 1, 2), "DK § 148: New Year's Eve (Mon), New Year's Day (Tue)"),
    (DK, D(2027, 5, 17), D(2027, 5, 18), "DK § 148: Whit Monday"),
    (DK, D(2030, 5, 30), D(2030, 5, 31), "DK § 148: Ascension Day (Thu)"),
    (DK, D(2026, 5, 1), D(2026, 5, 1), "DK § 148: 1 May is no public holiday: it stays"),
    (
        DK,
        D(2028, 5, 12),
        D(2028, 5, 12),
        "DK § 148: Great Prayer Day, abolished from 2024: it stays",
    ),
    (
        DK,
        D(2026, 6, 6),
        D(2026, 6, 8),
        "DK § 148: Saturday; Sweden's National Day means nothing here",
    ),
]


@pytest.mark.parametrize(
    ("calendar", "last", "moves_to", "rule"), LAST_DAYS, ids=[r[3] for r in LAST_DAYS]
)
def test_a_last_day_on_a_closed_day_moves_to_the_next_working_day(
    calendar: WorkingCalendar, last: dt.date, moves_to: dt.date, rule: str
) -> None:
    assert calendar.next_working_day(last) == moves_to, rule


MONTHS = [
    (D(2027, 1, 31), 1, D(2027, 2, 28), "31 January + 1 month is the end of February"),
    (D(2028, 1, 31), 1, D(2028, 2, 29), "in a leap year, 29 February"),
    (D(2026, 8, 31), 1, D(2026, 9, 30), "31 August + 1 month is 30 September"),
    (D(2029, 12, 31), 2, D(2030, 2, 28), "across the year's end"),
    (D(2026, 5, 15), 2, D(2026, 7, 15), "an ordinary day keeps its number"),
]


@pytest.mark.parametrize(
    ("start", "months", "expected", "rule"), MONTHS, ids=[m[3] for m in MONTHS]
)
def test_months_clamp_at_the_end_of_the_month(
    start: dt.date, months: int, expected: dt.date, rule: str
) -> None:
    assert add_months(start, months) == expected, rule


def local(day: dt.date, hour: int, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def test_a_final_report_two_months_after_a_period_ending_31_december_clamps_then_rolls() -> None:
    # dua-2021: final_report is period_end + 2 months; 31 Dec 2026 + 2 months = 28 Feb 2027, a
    # Sunday (SE 2 §), so the report is due by the end of Monday 1 March 2027, Stockholm time.
    programme = CATALOGUE.programme("dua-2021")
    assert programme is not None
    due = rule_due(programme, "final_report", {"period_end": D(2026, 12, 31)})
    assert due == local(D(2027, 3, 2), 0, "Europe/Stockholm")


def test_n_days_before_counts_local_days_across_the_spring_switch() -> None:
    # dua-2021: report_reminder is 14 days before final_report. A period ending 31 January 2026
    # makes the report due by the end of Tuesday 31 March 2026 (summer time since 29 March); the
    # reminder falls at the end of Tuesday 17 March (winter time): local midnight both times,
    # not an hour off for the switch in between.
    programme = CATALOGUE.programme("dua-2021")
    assert programme is not None
    anchors = {"period_end": D(2026, 1, 31)}
    assert rule_due(programme, "final_report", anchors) == local(
        D(2026, 4, 1), 0, "Europe/Stockholm"
    )
    reminder = rule_due(programme, "report_reminder", anchors)
    assert reminder == local(D(2026, 3, 18), 0, "Europe/Stockholm")
    assert reminder is not None and reminder.hour == 23  # 00:00 CET is 23:00 UTC


def test_n_days_before_a_deadline_in_winter_time_counts_local_days_across_the_autumn_switch() -> (
    None
):
    # Period end 31 August 2026 + 2 months = Saturday 31 October, All Saints' Day (SE 2 §): due
    # by the end of Monday 2 November (winter time from 25 October). 14 days before is Monday 19
    # October (summer time): midnight local both times.
    programme = CATALOGUE.programme("dua-2021")
    assert programme is not None
    anchors = {"period_end": D(2026, 8, 31)}
    assert rule_due(programme, "final_report", anchors) == local(
        D(2026, 11, 3), 0, "Europe/Stockholm"
    )
    reminder = rule_due(programme, "report_reminder", anchors)
    assert reminder == local(D(2026, 10, 20), 0, "Europe/Stockholm")
    assert reminder is not None and reminder.hour == 22  # 00:00 CEST is 22:00 UTC


def test_a_reminder_that_would_fall_on_a_closed_day_comes_the_working_day_before() -> None:
    # Period end 20 March 2027 + 2 months: the report is due by the end of Thursday 20 May 2027.
    # 14 days before is Thursday 6 May, Ascension Day: a reminder is not sent later than promised,
    # so it comes at the end of Wednesday 5 May.
    programme = CATALOGUE.programme("dua-2021")
    assert programme is not None
    anchors = {"period_end": D(2027, 3, 20)}
    assert rule_due(programme, "final_report", anchors) == local(
        D(2027, 5, 21), 0, "Europe/Stockholm"
    )
    assert rule_due(programme, "report_reminder", anchors) == local(
        D(2027, 5, 6), 0, "Europe/Stockholm"
    )


def test_the_star_call_closes_at_1200_copenhagen_whatever_zone_the_server_runs_in() -> None:
    programme = CATALOGUE.programme("star-flere-skal-med-2017")
    assert programme is not None
    call = programme.call("2017")
    assert call is not None
    anchors = {"call.application_deadline": call.application_deadline}
    expected = dt.datetime(2017, 10, 31, 11, 0, tzinfo=dt.UTC)  # 12:00 CET
    original = os.environ.get("TZ")
    try:
        for server_zone in ("America/New_York", "Asia/Tokyo", "UTC"):
            os.environ["TZ"] = server_zone
            time.tzset()
            assert rule_due(programme, "application_deadline", anchors) == expected, server_zone
    finally:
        if original is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original
        time.tzset()


def test_working_days_skip_the_swedish_eves() -> None:
    # One working day after Wednesday 23 December 2026: not Christmas Eve, Christmas, Boxing Day
    # or the Sunday, but Monday 28 December (SE 2 §).
    assert SE.add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 28)
    # Danish: one working day after Thursday 4 June 2026 skips Constitution Day (DK § 148).
    assert DK.add_working_days(D(2026, 6, 4), 1) == D(2026, 6, 8)


def test_a_decision_at_0030_stockholm_time_is_awarded_on_that_local_day(api, clock) -> None:
    case = api.create_case("heby", "sf-uppsala-nya-vagar", "Nya vägar")
    api.move("heby", case["id"], "apply_implementation", requested_amount="100000")
    decision = {"amount": "100000", "period_start": "2021-01-01", "period_end": "2021-12-31"}
    api.move("caseworker", case["id"], "propose_implementation_grant", **decision)
    clock.set(dt.datetime(2020, 12, 15, 0, 30, tzinfo=ZoneInfo("Europe/Stockholm")))
    api.move("approver", case["id"], "grant_implementation")  # 23:30 UTC on 14 December
    published = api.client.get("/grants.json").json()["grants"]
    assert [g["awardDate"] for g in published] == ["2020-12-15"]
