"""Copying the whole database out and back in: SQLite's online backup, pg_dump and pg_restore."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow
from sqlalchemy.engine import make_url

# pg_dump of a large database takes long on purpose; one that hangs for a day has failed.
TOOL_TIMEOUT_SECONDS = 24 * 3600


class CopyError(Exception):
    """The database could not be copied out or in; the message says why and what to do."""


@dataclass(frozen=True)
class DatabaseCopy:
    """A copy of the database as it stood at one moment, with what that moment held."""

    path: Path
    kind: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    head_seq: int
    head_hash: str


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def copy_out(url: str, target: Path) -> DatabaseCopy:
    """Copy the database to `target` as one consistent moment, even while others write."""
    return _sqlite_out(url, target) if kind_of(url) == "sqlite" else _postgres_out(url, target)


def copy_in(url: str, source: Path) -> None:
    """Replace the database's content with the copy in `source` (made by `copy_out`)."""
    if kind_of(url) == "sqlite":
        _sqlite_in(source, url)
    else:
        _postgres_in(source, url)


def events_in(url: str) -> int:
    """How many audit events the database holds (0 when it has no schema yet)."""
    if kind_of(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists():
            return 0
        with closing(sqlite3.connect(path, timeout=30)) as db:
            try:
                row = db.execute("SELECT count(*) FROM audit_event").fetchone()
            except sqlite3.OperationalError:  # no such table: an empty database
                return 0
            return int(row[0])
    with _connect(url) as db:
        try:
            found = db.execute("SELECT count(*) FROM audit_event").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return int(found[0]) if found else 0


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise CopyError(f"{url} is not a SQLite file that can be copied")
    return Path(database)


def _sqlite_out(url: str, target: Path) -> DatabaseCopy:
    path = sqlite_path(url)
    if not path.exists():
        raise CopyError(f"there is no database at {path}: run `grantflow db upgrade` first")
    with (
        closing(sqlite3.connect(path, timeout=30)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        # One step (pages=-1) holds one read transaction over the whole copy: the copy is a
        # single moment even while the service goes on writing.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        head = copy.execute("SELECT seq, lower(hex(hash)) FROM audit_head WHERE id = 1").fetchone()
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    return DatabaseCopy(
        target, "sqlite", revision[0] if revision else None, *(head or (0, "0" * 64))
    )


def _sqlite_in(source: Path, url: str) -> None:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy,
        closing(sqlite3.connect(path, timeout=30)) as database,
    ):
        copy.backup(database)  # page by page under the destination's write lock: whole or not
        database.execute("PRAGMA journal_mode=WAL")


def _postgres_out(url: str, target: Path) -> DatabaseCopy:
    # pg_dump reads in a snapshot this connection exports; the head is read in the same
    # snapshot, so the manifest names exactly the head the dump holds.
    with _connect(url) as db:
        db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = db.execute("SELECT pg_export_snapshot()").fetchone()
        head = db.execute("SELECT seq, encode(hash, 'hex') FROM audit_head WHERE id = 1").fetchone()
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        assert row is not None
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--snapshot={row[0]}",
            f"--file={target}",
            f"--dbname={_libpq(url)}",
            url=url,
        )
    return DatabaseCopy(
        target, "postgresql", revision[0] if revision else None, *(head or (0, "0" * 64))
    )


def _postgres_in(source: Path, url: str) -> None:
    _run(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={_libpq(url)}",
        str(source),
        url=url,
    )


def _run(*command: str, url: str) -> None:
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            env={**os.environ, **_pgpassword(url)},
        )
    except FileNotFoundError:
        raise CopyError(
            f"{command[0]} is not installed: install the PostgreSQL client "
            "(Debian: apt-get install postgresql-client) in the server's major version"
        ) from None
    if done.returncode != 0:
        raise CopyError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def _libpq(url: str) -> str:
    """The URL as libpq reads it: no SQLAlchemy driver name, and no password on a command line
    where `ps` would show it (it goes in PGPASSWORD instead)."""
    parsed = make_url(url).set(drivername="postgresql", password=None)
    return parsed.render_as_string(hide_password=False)


def _pgpassword(url: str) -> dict[str, str]:
    password = make_url(url).password
    return {"PGPASSWORD": str(password)} if password else {}


def _connect(url: str) -> psycopg.Connection[TupleRow]:
    password = make_url(url).password
    return psycopg.connect(_libpq(url), connect_timeout=10, password=password and str(password))
