"""The database connection: SQLite by default, PostgreSQL where configured, and its transactions."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

_WRITE = "grantflow_write"


class Database:
    """One engine and the two kinds of transaction the service uses: reading and writing."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(_driver_url(url), echo=echo, **_engine_options(url))
        # SQLite has one writer at a time. Its lock is what keeps writes apart (BEGIN IMMEDIATE),
        # in this process and any other; this gate only makes writers queue for it instead of
        # polling it with growing sleeps, which costs most under load.
        self._write_gate: Any = (
            _WriterQueue(make_url(url).database) if self.is_sqlite else contextlib.nullcontext()
        )
        if self.is_sqlite:
            _tune_sqlite(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def writing(self, *, wait_for_disk: bool = True) -> Iterator[Session]:
        """A transaction that will write: committed on leaving, rolled back on any exception.

        On SQLite it begins IMMEDIATE, taking the write lock before reading, so a read-then-write
        never meets a writer that came in between. PostgreSQL code locks rows (FOR UPDATE) instead.

        `wait_for_disk=False` lets PostgreSQL confirm the commit before its WAL reaches the disk.
        Only for work that is safe to lose in a crash because it will simply be done again: a
        deadline firing lost that way is still pending, and fires again, once. Never for an
        answer a person is given.
        """
        # No autoflush: a write goes out in one flush at commit (or where the code flushes for an
        # id), not in bits before every query.
        with (
            self._write_gate,
            Session(self.engine, expire_on_commit=False, autoflush=False) as session,
        ):
            connection = session.connection(execution_options={_WRITE: True})
            if not wait_for_disk and not self.is_sqlite:
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        # Closing (not rolling back) ends the transaction and keeps what was loaded readable.
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._write_gate, _WriterQueue):
            self._write_gate.close()


class _WriterQueue:
    """Where SQLite writers wait their turn: this process's threads on a lock, and processes
    (several API workers, a scheduler) on a file lock beside the database, which the kernel
    hands to the next waiter the moment it is let go. Re-entrant, as a write may nest."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        on_disk = database not in (None, "", ":memory:")
        self._path = f"{database}.writers" if on_disk else None
        self._file: Any = None

    def __enter__(self) -> None:
        self._threads.acquire()
        self._depth += 1
        if self._depth == 1 and self._path is not None:
            if self._file is None:
                self._file = open(self._path, "ab")  # held open between writes
            fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._file is not None:
                self._file.close()
                self._file = None


def _driver_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"connect_args": {"check_same_thread": False, "timeout": 30}, "pool_size": 20}
    return {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
