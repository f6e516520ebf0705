"""a leaner audit table

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

The audit table was most of a generated database's bytes (issue: at most 2 GB of SQLite for a
million generated cases). What it stored beside the payloads and no query used:

- UNIQUE(hash): no query looks an event up by its hash, and two events cannot share one (each
  hash covers its own `seq`); its index was a twelfth of the file.
- the `prev_hash` column: the payload holds the same text, which is what the chain check reads
  and the hash covers; the one reader of the column (an export's first `prev_hash`) reads the
  payload instead.
- the `from_state` and `to_state` columns: no query selects events by them, and every reader
  of an event's states reads its payload.
- on SQLite, `seq` as BIGINT kept a second key beside the table's own rowid, with an index to map
  one to the other; as INTEGER PRIMARY KEY it is the rowid.

SQLite cannot drop a constraint or change a key in place, so the table is rebuilt there, rows
copied as they are (payloads and hashes untouched: the chain verifies as before), and its indexes
and triggers (append-only, 0001; the head follows, 0023) made again. PostgreSQL alters it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "seq, at, case_id, kind, transition, actor_id, role, payload"
SQLITE_TABLE = """
CREATE TABLE audit_event_new (
    seq {seq} NOT NULL,
    at DATETIME NOT NULL,
    case_id INTEGER,
    kind VARCHAR NOT NULL,
    transition VARCHAR,{states}
    actor_id INTEGER,
    role VARCHAR NOT NULL,
    payload TEXT NOT NULL,{prev_hash}
    hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (seq){unique}
)
"""
# The columns 0024 drops, which going back fills in again from the payloads.
RESTORED = ("from_state", "to_state", "prev_hash")
SQLITE_INDEXES = (
    "CREATE INDEX ix_audit_event_at ON audit_event (at)",
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


def _sqlite_read(name: str) -> str:
    return f", json_extract(payload, '$.{name}')"


def _rebuild_sqlite(*, lean: bool) -> None:
    """The table made again, lean or as 0023 left it, its rows copied in `seq` order."""
    op.execute(
        SQLITE_TABLE.format(
            seq="INTEGER" if lean else "BIGINT",
            states="" if lean else "\n    from_state VARCHAR,\n    to_state VARCHAR,",
            prev_hash="" if lean else "\n    prev_hash VARCHAR(64) NOT NULL,",
            unique="" if lean else ",\n    UNIQUE (hash)",
        )
    )
    # Going back, the columns are read from each row's payload, where the chain keeps them.
    extra = ("", "") if lean else (", " + ", ".join(RESTORED), "".join(map(_sqlite_read, RESTORED)))
    op.execute(
        f"INSERT INTO audit_event_new ({COLUMNS}{extra[0]}, hash)"
        f" SELECT {COLUMNS}{extra[1]}, hash FROM audit_event ORDER BY seq"
    )
    # Dropping the table drops its indexes and triggers (DROP TABLE fires no DELETE trigger).
    op.execute("DROP TABLE audit_event")
    op.execute("ALTER TABLE audit_event_new RENAME TO audit_event")
    for statement in (*SQLITE_INDEXES, *SQLITE_TRIGGERS):
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("audit_event_hash_key", "audit_event", type_="unique")
        for name in RESTORED:
            op.drop_column("audit_event", name)
    else:
        _rebuild_sqlite(lean=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in RESTORED:
            op.execute(f"ALTER TABLE audit_event ADD COLUMN {name} VARCHAR")
        op.execute("ALTER TABLE audit_event ALTER COLUMN prev_hash TYPE VARCHAR(64)")
        # Filling the columns is the one UPDATE the table ever takes: its guard steps aside.
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete")
        filled = ", ".join(f"{name} = payload::json ->> '{name}'" for name in RESTORED)
        op.execute(f"UPDATE audit_event SET {filled}")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete")
        op.execute("ALTER TABLE audit_event ALTER COLUMN prev_hash SET NOT NULL")
        op.create_unique_constraint("audit_event_hash_key", "audit_event", ["hash"])
    else:
        _rebuild_sqlite(lean=False)
