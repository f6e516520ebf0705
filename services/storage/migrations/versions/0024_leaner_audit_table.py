"""a leaner audit table

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

The audit table was most of a generated database's bytes (issue: at most 2 GB of SQLite for a
million generated cases). Three things it stored served no query and no check:

- UNIQUE(hash): no query looks an event up by its hash, and two events cannot share one (each
  hash covers its own `seq`); its index was a twelfth of the file.
- the `prev_hash` column: the payload holds the same text, which is what the chain check reads
  and the hash covers; the one reader of the column (an export's first `prev_hash`) reads the
  payload instead.
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

COLUMNS = "seq, at, case_id, kind, transition, from_state, to_state, actor_id, role, payload"
SQLITE_TABLE = """
CREATE TABLE audit_event_new (
    seq {seq} NOT NULL,
    at DATETIME NOT NULL,
    case_id INTEGER,
    kind VARCHAR NOT NULL,
    transition VARCHAR,
    from_state VARCHAR,
    to_state VARCHAR,
    actor_id INTEGER,
    role VARCHAR NOT NULL,
    payload TEXT NOT NULL,{prev_hash}
    hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (seq){unique}
)
"""
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


def _rebuild_sqlite(*, lean: bool) -> None:
    """The table made again, lean or as 0023 left it, its rows copied in `seq` order."""
    op.execute(
        SQLITE_TABLE.format(
            seq="INTEGER" if lean else "BIGINT",
            prev_hash="" if lean else "\n    prev_hash VARCHAR(64) NOT NULL,",
            unique="" if lean else ",\n    UNIQUE (hash)",
        )
    )
    # Going back, each row's prev_hash is read from its payload, where the chain keeps it.
    extra = ("", "") if lean else (", prev_hash", ", json_extract(payload, '$.prev_hash')")
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
        op.drop_column("audit_event", "prev_hash")
    else:
        _rebuild_sqlite(lean=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_event ADD COLUMN prev_hash VARCHAR(64)")
        # Filling the column is the one UPDATE the table ever takes: its guard steps aside.
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete")
        op.execute("UPDATE audit_event SET prev_hash = payload::json ->> 'prev_hash'")
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete")
        op.execute("ALTER TABLE audit_event ALTER COLUMN prev_hash SET NOT NULL")
        op.create_unique_constraint("audit_event_hash_key", "audit_event", ["hash"])
    else:
        _rebuild_sqlite(lean=False)
