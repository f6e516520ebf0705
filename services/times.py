"""The one convention for times that come in: a timestamp carries its offset (a naive one is
refused, never guessed at), and a bare date is a calendar day in the programme's time zone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from services.errors import InvalidRequest


def _in_utc(at: dt.datetime) -> dt.datetime:
    try:
        return at.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is a year 10000 in UTC
        raise ValueError("the time is outside the calendar once read in UTC") from None


# For query parameters and bodies: pydantic refuses a time without an offset, or one that has no
# UTC equivalent (422); what passes is in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def parse_instant(text: str, zone: dt.tzinfo, *, field: str = "as_of") -> dt.datetime:
    """`text` as a UTC instant: a date (2021-12-31) is the end of that day in `zone`; a time
    must say its offset (2021-12-31T12:00:00+01:00, or Z for UTC)."""
    try:
        if len(text) == 10:
            return end_of_day(dt.date.fromisoformat(text), zone)
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"{field} {text!r} is neither a date (2021-12-31) nor a time with an offset "
            "(2021-12-31T12:00:00+01:00)",
            field=field,
        ) from None
    if at.tzinfo is None:
        raise InvalidRequest(
            f"{field} {text!r} has no offset: add one (+01:00, or Z for UTC), or give a date",
            field=field,
        )
    try:
        return _in_utc(at)
    except ValueError as outside:
        raise InvalidRequest(f"{field} {text!r}: {outside}", field=field) from None


def end_of_day(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The last instant of `day` in `zone`: "as of 31 December" is what an auditor asks for."""
    try:
        next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return (next_day - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
    except OverflowError:  # the last day there is: as late as can be
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def local_instant(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A form's date or date-and-time, which the pages show and read in the programme's zone."""
    try:
        if len(text) == 10:
            return end_of_day(dt.date.fromisoformat(text), zone)
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{text!r} is not a date or a time", field="as_of") from None
    try:
        return _in_utc(at if at.tzinfo else at.replace(tzinfo=zone))
    except ValueError as outside:
        raise InvalidRequest(f"{text!r}: {outside}", field="as_of") from None
