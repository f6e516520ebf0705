"""the audit table stored compactly

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04

Most of a generated database was still its audit table (issue 16: at most 2 GB of SQLite for a
million generated cases). Each event is now stored as:

- its payload packed: one byte naming a preset dictionary (the table `audit_dictionary`, made
  here with dictionary 1), then the canonical text DEFLATEd against it (services/storage/
  audit_encoding.py); the text the hash covers is unchanged, so the chain verifies as before;
- its hash as the 32 bytes it is, not 64 characters of hex (and the head's, which a trigger
  copies from the event);
- on SQLite its time as integer microseconds since 1970, not 26 characters of text (PostgreSQL's
  timestamptz is 8 bytes already).

The index on `at` goes: events are stored in time order, so a search by time bounds the
sequence by a binary search on the key instead.

SQLite rebuilds the table (as 0024 did), PostgreSQL alters it; either way each row's payload is
packed (or, going back, unpacked) here in Python, a batch at a time.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from services.storage.audit_encoding import PACKINGS, dictionary, pack, unpack
from services.storage.types import from_microseconds, microseconds

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
# This revision packs as it always did, whatever the current packing is now (0026 added one).
PACKING = 1
COLUMNS = "seq, at, case_id, kind, transition, actor_id, role, payload, hash"
SQLITE_TABLE = """
CREATE TABLE audit_event_new (
    seq INTEGER NOT NULL,
    at {at} NOT NULL,
    case_id INTEGER,
    kind VARCHAR NOT NULL,
    transition VARCHAR,
    actor_id INTEGER,
    role VARCHAR NOT NULL,
    payload {payload} NOT NULL,
    hash {hash} NOT NULL,
    PRIMARY KEY (seq)
)
"""
SQLITE_INDEXES = (
    "CREATE INDEX ix_audit_event_case_seq ON audit_event (case_id, seq)",
    "CREATE INDEX ix_audit_event_actor_seq ON audit_event (actor_id, seq)",
    "CREATE INDEX ix_audit_event_transition_seq ON audit_event (transition, seq)",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_event
WHEN NEW.seq > (SELECT seq FROM audit_head WHERE id = 1)
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash, at = NEW.at WHERE id = 1;
END""",
)
GUARD = "audit_event_no_update_or_delete"  # PostgreSQL's append-only trigger (0001)


def _sqlite_time_text(value: Any) -> str:
    """An integer time as SQLAlchemy wrote DATETIME text on SQLite before (UTC, naive)."""
    return from_microseconds(int(value)).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_time_number(value: Any) -> int:
    at = dt.datetime.fromisoformat(str(value))
    return microseconds(at if at.tzinfo else at.replace(tzinfo=dt.UTC))


def _batches(columns: str) -> Iterator[list[tuple[Any, ...]]]:
    """`columns` (the first one `seq`) of every event, in `seq` order, BATCH rows at a time."""
    query = sa.text(
        f"SELECT {columns} FROM audit_event WHERE seq > :last ORDER BY seq LIMIT {BATCH}"
    )
    last = -1
    while rows := [tuple(row) for row in op.get_bind().execute(query, {"last": last})]:
        yield rows
        last = rows[-1][0]


def _copy_sqlite(convert: Callable[[tuple[Any, ...]], dict[str, Any]]) -> None:
    """Every row of audit_event into audit_event_new, converted, in `seq` order."""
    insert = sa.text(
        f"INSERT INTO audit_event_new ({COLUMNS}) VALUES"
        " (:seq, :at, :case_id, :kind, :transition, :actor_id, :role, :payload, :hash)"
    )
    for rows in _batches(COLUMNS):
        op.get_bind().execute(insert, [convert(row) for row in rows])


def _row(row: tuple[Any, ...], at: Any, payload: Any, hash: Any) -> dict[str, Any]:
    names = ("seq", "case_id", "kind", "transition", "actor_id", "role")
    values = (row[0], *row[2:7])
    return {**dict(zip(names, values, strict=True)), "at": at, "payload": payload, "hash": hash}


def _rebuild_sqlite(*, compact: bool) -> None:
    types = ("BIGINT", "BLOB", "BLOB") if compact else ("DATETIME", "TEXT", "VARCHAR(64)")
    op.execute(SQLITE_TABLE.format(at=types[0], payload=types[1], hash=types[2]))
    if compact:
        _copy_sqlite(
            lambda r: _row(r, _sqlite_time_number(r[1]), pack(r[7], PACKING), bytes.fromhex(r[8]))
        )
    else:
        _copy_sqlite(lambda r: _row(r, _sqlite_time_text(r[1]), unpack(r[7]), bytes(r[8]).hex()))
    # Dropping the table drops its indexes and triggers (DROP TABLE fires no DELETE trigger).
    op.execute("DROP TABLE audit_event")
    op.execute("ALTER TABLE audit_event_new RENAME TO audit_event")
    for statement in (*SQLITE_INDEXES, *SQLITE_TRIGGERS):
        op.execute(statement)
    head = op.get_bind().execute(sa.text("SELECT hash, at FROM audit_head WHERE id = 1")).first()
    if head is not None:
        hash, at = head
        if compact:
            values = {
                "h": bytes.fromhex(hash),
                "a": None if at is None else _sqlite_time_number(at),
            }
        else:
            values = {"h": bytes(hash).hex(), "a": None if at is None else _sqlite_time_text(at)}
        op.get_bind().execute(
            sa.text("UPDATE audit_head SET hash = :h, at = :a WHERE id = 1"), values
        )


def _repack_postgresql(change: Callable[[Any], Any], kind: str) -> None:
    """Each payload replaced by `change` of it, in a new column of type `kind`."""
    op.execute(f"ALTER TABLE audit_event ADD COLUMN payload_new {kind}")
    # Filling the new column is an UPDATE the table otherwise never takes: its guard steps aside.
    op.execute(f"ALTER TABLE audit_event DISABLE TRIGGER {GUARD}")
    fill = sa.text("UPDATE audit_event SET payload_new = :p WHERE seq = :s")
    for rows in _batches("seq, payload"):
        op.get_bind().execute(fill, [{"s": seq, "p": change(payload)} for seq, payload in rows])
    op.execute(f"ALTER TABLE audit_event ENABLE TRIGGER {GUARD}")
    op.execute("ALTER TABLE audit_event DROP COLUMN payload")
    op.execute("ALTER TABLE audit_event RENAME COLUMN payload_new TO payload")
    op.execute("ALTER TABLE audit_event ALTER COLUMN payload SET NOT NULL")


def upgrade() -> None:
    table = op.create_table(
        "audit_dictionary",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.LargeBinary(), nullable=False),
    )
    rows = [{"id": PACKING, "sha256": PACKINGS[PACKING].sha256, "bytes": dictionary(PACKING)}]
    op.bulk_insert(table, rows)
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("audit_event", "audit_head"):
            op.execute(f"ALTER TABLE {name} ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex')")
        _repack_postgresql(lambda text: pack(str(text), PACKING), "bytea")
    else:
        _rebuild_sqlite(compact=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("audit_event", "audit_head"):
            op.execute(
                f"ALTER TABLE {name} ALTER COLUMN hash TYPE VARCHAR USING encode(hash, 'hex')"
            )
        op.execute("ALTER TABLE audit_event ALTER COLUMN hash TYPE VARCHAR(64)")
        _repack_postgresql(unpack, "TEXT")
    else:
        _rebuild_sqlite(compact=False)
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.drop_table("audit_dictionary")
