"""The database connection: SQLite by default, PostgreSQL where configured, and its transactions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

from services.storage.writers import Writers

_WRITE = "grantflow_write"
_IDLE_SINCE = "grantflow_idle_since"


@dataclass(frozen=True)
class Limits:
    """How long the service waits on its database before it says so (a 503), rather than hang.
    None: no limit (migrations and bulk loads, which may take long on purpose)."""

    connect_seconds: float = 5
    statement_seconds: float | None = 30
    pool_seconds: float = 10
    ping_after_idle_seconds: float = 1


class Database:
    """One engine, and sessions on it for reading or for writing; a unit of work owns each one."""

    def __init__(self, url: str, *, echo: bool = False, limits: Limits | None = None) -> None:
        self.url = url
        self.limits = limits or Limits()
        options = _engine_options(url, self.limits)
        self.engine = create_engine(_driver_url(url), echo=echo, **options)
        # Connections for writing carry this option, which SQLite's "begin" hook reads.
        self._writer = self.engine.execution_options(**{_WRITE: True})
        # Writers take turns in this process before they open a transaction (writers.py): on
        # SQLite for its one write lock (BEGIN IMMEDIATE), in this process and any other, which
        # they then need not poll with growing sleeps; on PostgreSQL for the audit chain's head,
        # so that they wait here, not in the database holding a connection. A thread gives up
        # waiting for its turn when it would give up waiting for a connection (a 503).
        database = make_url(url).database
        on_disk = self.is_sqlite and database not in (None, "", ":memory:")
        self._write_gate = Writers(
            f"{database}.writers" if on_disk else None, self.limits.pool_seconds
        )
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        else:
            _ping_when_idle(self.engine, self.limits.ping_after_idle_seconds)
        # A read of one statement needs no transaction of its own: on PostgreSQL it is sent
        # alone, without a BEGIN and a ROLLBACK around it (two round trips fewer).
        self._single = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def writers_waiting(self) -> int:
        """How many of this process's threads wait for their turn to write."""
        return self._write_gate.turns.waiting

    @property
    def shared(self) -> bool:
        """Whether another process can open this database from its URL (not SQLite in memory)."""
        return not self.is_sqlite or make_url(self.url).database not in (None, "", ":memory:")

    @contextmanager
    def session(
        self, *, write: bool, wait_for_disk: bool = True, one_statement: bool = False
    ) -> Iterator[Session]:
        """A session whose transaction its owner commits; what is not committed when it closes
        is rolled back.

        For writing, SQLite begins IMMEDIATE, taking the write lock before reading, so a
        read-then-write never meets a writer that came in between; PostgreSQL code locks rows
        (FOR UPDATE) instead. `wait_for_disk=False` lets PostgreSQL confirm a commit before its
        WAL reaches the disk: only for work that is safe to lose in a crash because it will
        simply be done again (a deadline firing lost that way is still pending, and fires once).
        """
        if not write:
            # Closing (not rolling back) ends the transaction and keeps what was loaded readable.
            bind = self._single if one_statement else self.engine
            with Session(bind, expire_on_commit=False, autoflush=False) as session:
                yield session
            return
        # Autoflush: a query in a unit of work sees what that unit of work has written so far.
        with (
            self._write_gate,
            Session(self._writer, expire_on_commit=False) as session,
        ):
            if not wait_for_disk and not self.is_sqlite:
                session.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            try:
                yield session
            finally:
                session.rollback()  # after a commit there is nothing left to roll back

    def dispose(self) -> None:
        self.engine.dispose()
        self._write_gate.close()


def _driver_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _engine_options(url: str, limits: Limits) -> dict[str, Any]:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy = limits.statement_seconds if limits.statement_seconds is not None else 3600
        return {
            "connect_args": {"check_same_thread": False, "timeout": busy},
            "pool_size": 20,
            "pool_timeout": limits.pool_seconds,
        }
    # A server that stops answering: connecting gives up after connect_seconds; a statement is
    # cancelled by the server after statement_seconds; a connection whose packets go
    # unacknowledged is dropped by the kernel. No ping at each checkout (a round trip on every
    # unit of work), only after a connection has been idle (_ping_when_idle): a statement that
    # finds a busy connection broken answers 503 and makes the pool start over with new
    # connections, so the service recovers by itself when the database is back.
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, round(limits.connect_seconds)),
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": round(limits.connect_seconds * 1000),
    }
    if limits.statement_seconds is not None:
        milliseconds = round(limits.statement_seconds * 1000)
        connect_args["options"] = (
            f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}"
        )
    return {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_pre_ping": False,
        "pool_timeout": limits.pool_seconds,
        "connect_args": connect_args,
    }


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Try a connection that has been idle for `idle_seconds` before handing it out, and swap
    it for a new one if it is dead: a restart of the database at night, or a firewall that drops
    quiet connections, then costs no one a 503. Connections in steady use are not tried."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping would send each time
        except Exception as dead:
            # The pool's own answer to this: it drops the connection and checks out another.
            raise DisconnectionError(str(dead)) from dead


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Before anything is written: it sets the page size of a new file only. Audit rows of
        # about 700 bytes leave a tenth of a 4 KiB page unused, under 2% of an 8 KiB one.
        cursor.execute("PRAGMA page_size=8192")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
