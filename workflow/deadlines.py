"""Deadline arithmetic: local dates and times to UTC instants, months, and working days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from workflow.programmes import ProgrammeConfig


@lru_cache(maxsize=64)
def _holidays(country: str, categories: tuple[str, ...], year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


class WorkingCalendar:
    """Which days are working days in one country: Monday to Friday, less the holidays of the
    programme's categories (Sweden: public and de facto, the eves Lag (1930:173) counts) and its
    fixed closed days (Denmark: grundlovsdag, juleaftensdag, nytårsaftensdag)."""

    def __init__(
        self, country: str, categories: Iterable[str] = ("public",), closed_days: Iterable[str] = ()
    ) -> None:
        self.country = country
        self.categories = tuple(sorted(categories))
        self.closed_days = frozenset(closed_days)

    @classmethod
    def of(cls, programme: ProgrammeConfig) -> WorkingCalendar:
        calendar = programme.calendar
        return cls(calendar.country, calendar.holiday_categories, calendar.closed_days)

    def is_working_day(self, day: dt.date) -> bool:
        return (
            day.weekday() < 5
            and day not in _holidays(self.country, self.categories, day.year)
            and day.strftime("%m-%d") not in self.closed_days
        )

    def previous_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the last one before it."""
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def holiday_name(self, day: dt.date) -> str | None:
        found = holidays.country_holidays(self.country, years=day.year, categories=self.categories)
        return found.get(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The working day `count` working days after `day` (0: `day` or the next working day)."""
        day = self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day + dt.timedelta(days=1))
        return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")


def local_instant(at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time in `zone` (a naive one is in `zone`, never the server's) as a UTC
    instant; daylight saving is the zone's business."""
    if at.tzinfo is not None:
        return at.astimezone(dt.UTC)
    return at.replace(tzinfo=zone).astimezone(dt.UTC)


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The instant a day ends in `zone`: anything done on `day` is on time."""
    return local_instant(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)


def local_date(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The day `at` falls on in `zone`; a naive time (a programme file's) is already local there."""
    return at.date() if at.tzinfo is None else at.astimezone(zone).date()


def rule_due(
    programme: ProgrammeConfig, kind: str, anchors: Mapping[str, Any]
) -> dt.datetime | None:
    """When a deadline of `kind` falls under `programme`'s rule, given the anchor values at hand;
    None when the programme has no such rule or the anchor it needs is missing."""
    return _rule_due(programme, kind, anchors, ())


def due_before(programme: ProgrammeConfig, kind: str, later: dt.datetime) -> dt.datetime:
    """When a `before` deadline (a reminder) falls, given when the deadline it precedes falls:
    local calendar days earlier, at the same wall-clock time whatever daylight saving does in
    between; a reminder is not sent later than promised, so it rolls back, not forward."""
    rule = programme.deadlines[kind]
    zone = programme.zone
    local = later.astimezone(zone)
    ends_a_day = local.time() == dt.time()  # midnight: the end of the day before
    last = local.date() - dt.timedelta(days=1 if ends_a_day else 0)
    day = last - dt.timedelta(days=rule.days or 0)
    if rule.roll_to_working_day:
        day = WorkingCalendar.of(programme).previous_working_day(day)
    if ends_a_day:
        return end_of_day(day, zone)
    return local_instant(dt.datetime.combine(day, local.time()), zone)


def moved_together(programme: ProgrammeConfig, kind: str, *, whole_round: bool) -> list[str]:
    """The deadline kinds that move when `kind` is extended: itself; for a whole round, every
    kind set at the same call anchor (a call's closing flag moves with its drafts' lapse); and
    the reminders before any of them. Reminders come after what they precede."""
    rule = programme.deadlines.get(kind)
    if rule is None:
        return []
    moved = [kind]
    if whole_round and rule.at is not None and rule.at.startswith("call."):
        moved += [k for k, r in programme.deadlines.items() if r.at == rule.at and k != kind]
    for earlier in moved:  # grows while it is walked: reminders of reminders
        moved += [k for k, r in programme.deadlines.items() if r.before == earlier]
    return moved


def _rule_due(
    programme: ProgrammeConfig, kind: str, anchors: Mapping[str, Any], seen: tuple[str, ...]
) -> dt.datetime | None:
    rule = programme.deadlines.get(kind)
    if rule is None:
        return None
    if kind in seen:  # the loader refuses cycles; this keeps a hand-made config from recursing
        raise ValueError(f"deadline rules form a cycle: {' -> '.join((*seen, kind))}")
    zone = programme.zone
    calendar = WorkingCalendar.of(programme)
    if rule.before is not None:
        later = _rule_due(programme, rule.before, anchors, (*seen, kind))
        return None if later is None else due_before(programme, kind, later)
    anchor = anchors.get(rule.at or rule.after or "")
    if anchor is None:
        return None
    if rule.at is not None:
        if isinstance(anchor, dt.datetime):
            return local_instant(anchor, zone)
        day = calendar.next_working_day(anchor) if rule.roll_to_working_day else anchor
        return end_of_day(day, zone)
    start = local_date(anchor, zone) if isinstance(anchor, dt.datetime) else anchor
    if rule.working_days is not None:
        return end_of_day(calendar.add_working_days(start, rule.working_days), zone)
    day = (
        add_months(start, rule.months) if rule.months else start + dt.timedelta(days=rule.days or 0)
    )
    return end_of_day(calendar.next_working_day(day) if rule.roll_to_working_day else day, zone)
