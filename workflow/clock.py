"""The one clock: every "now" in grantflow comes from here, so tests and the CLI can set it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time, always as an aware UTC datetime."""

    name: str

    def now(self) -> datetime: ...


class SystemClock:
    """Real time, for production."""

    name = "system"

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock a test (or `--now` on the command line) sets by hand; it stands still until moved."""

    name = "settable"

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._now = as_utc(at)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, at: datetime) -> None:
        with self._lock:
            self._now = as_utc(at)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime is refused rather than guessed at."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()} has no time zone")
    return at.astimezone(UTC)


def assume_utc(at: datetime | None) -> datetime | None:
    """`at`, reading a naive value as UTC: for times that come from a database or a query string
    where UTC is the documented convention (unlike `as_utc`, which refuses to guess)."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)
