"""Where a process's writing transactions wait their turn: first come, first served, never for ever.

Every audited write ends at the chain's one head (services/storage/audit_log.py), so writers
take turns there whatever happens before. A writer that waits at the head holds a connection and
an open transaction all the while, and with a worker's forty threads most of a busy database's
transactions were doing just that (bench/RESULTS.md). Taking turns in the process first keeps
the line out of the database and lets reads, which take no turn, go by; it cost no rate where
measured, since a worker's threads share one interpreter lock anyway. (Against a database far
away, a worker's writes no longer overlap their round trips: more workers make up for that.) On SQLite, whose writers take turns for its
one write lock anyway, the line also spans processes (a file lock beside the database).
"""

from __future__ import annotations

import fcntl
import threading
from collections import deque
from typing import Any

from sqlalchemy.exc import TimeoutError as NoTurnInTime


class Turns:
    """A re-entrant lock handed to its waiters in the order they came (Python's own locks let
    the thread that lets go take it straight back, so a busy deadline keeper could shut a
    worker's requests out for a whole sweep); a waiter gives up after `wait_seconds`."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Event]] = deque()

    @property
    def waiting(self) -> int:
        """How many threads wait for their turn."""
        with self._lock:
            return len(self._queue)

    @property
    def outermost(self) -> bool:
        """Whether the holder (the thread asking) is in its first, outermost turn."""
        return self._depth == 1

    def enter(self) -> bool:
        """Wait for this thread's turn; True if it begins here (not nested in one it holds)."""
        me = threading.get_ident()
        with self._lock:
            if self._holder == me:
                self._depth += 1
                return False
            if self._holder is None and not self._queue:
                self._holder, self._depth = me, 1
                return True
            turn = (me, threading.Event())
            self._queue.append(turn)
        if turn[1].wait(self.wait_seconds):
            return True
        with self._lock:
            if self._holder == me:  # handed over just as the wait ran out
                return True
            self._queue.remove(turn)
        raise NoTurnInTime(
            f"no turn to write within {self.wait_seconds:g} s: this process's writers are backed up"
        )

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                self._holder, turn = self._queue.popleft()
                self._depth = 1
                turn.set()
            else:
                self._holder = None


class Writers:
    """The line a database's writers join in this process (and, with `lock_file`, across the
    processes that open the same SQLite file, in the order the kernel hands its lock on)."""

    def __init__(self, lock_file: str | None, wait_seconds: float) -> None:
        self.turns = Turns(wait_seconds)
        self._path = lock_file
        self._file: Any = None

    def __enter__(self) -> None:
        if self.turns.enter() and self._path is not None:
            try:
                if self._file is None:
                    self._file = open(self._path, "ab")  # held open between writes
                fcntl.flock(self._file, fcntl.LOCK_EX)
            except BaseException:
                self.turns.leave()
                raise

    def __exit__(self, *_exc: object) -> None:
        # The file is let go before the turn is handed on: the next thread shares this open
        # file, and its lock would otherwise be undone by this thread's unlock.
        if self.turns.outermost and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self.turns.leave()

    def close(self) -> None:
        self.turns.enter()
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
        finally:
            self.turns.leave()
