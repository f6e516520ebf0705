"""the audit table's kind and role as small numbers

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04

Every event repeated its kind and its actor's role as words ('transition', 'caseworker') for
searching; the payload holds them too, and the hash covers them there. They are now numbers of
a byte or two (services/storage/audit_codes.py), and the new table `audit_code` says what each
stands for: some 65 bytes a generated case of SQLite, towards issue 16's 2 GB for a million.
Payloads and hashes are untouched, so the chain verifies as before. A stored word with no
number stops the migration (NOT NULL), rather than lose what it said.

SQLite rebuilds the table (as 0025 did: dropping it drops its indexes and triggers, which are
made again); PostgreSQL alters the two columns in place.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The numbers as this revision gave them; later ones are added by later revisions.
CODES = {
    "kind": {
        "created": 1,
        "transition": 2,
        "refusal": 3,
        "fact": 4,
        "amended": 5,
        "migrated": 6,
    },
    "role": {
        "applicant": 1,
        "caseworker": 2,
        "approver": 3,
        "auditor": 4,
        "admin": 5,
        "system": 6,
        "anonymous": 7,
    },
}
SQLITE_TABLE = """
CREATE TABLE audit_event_new (
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    case_id INTEGER,
    kind {type} NOT NULL,
    transition VARCHAR,
    actor_id INTEGER,
    role {type} NOT NULL,
    payload BLOB NOT NULL,
    hash BLOB NOT NULL,
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


def _as_numbers(column: str) -> str:
    cases = " ".join(f"WHEN '{name}' THEN {code}" for name, code in CODES[column].items())
    return f"CASE {column} {cases} END"


def _as_words(column: str) -> str:
    cases = " ".join(f"WHEN {code} THEN '{name}'" for name, code in CODES[column].items())
    return f"CASE {column} {cases} END"


def _rebuild_sqlite(spelled: str, convert: Callable[[str], str]) -> None:
    op.execute(SQLITE_TABLE.format(type=spelled))
    kind, role = convert("kind"), convert("role")
    op.execute(
        "INSERT INTO audit_event_new"
        " (seq, at, case_id, kind, transition, actor_id, role, payload, hash)"
        f" SELECT seq, at, case_id, {kind}, transition, actor_id, {role}, payload, hash"
        " FROM audit_event"
    )
    op.execute("DROP TABLE audit_event")
    op.execute("ALTER TABLE audit_event_new RENAME TO audit_event")
    for statement in (*SQLITE_INDEXES, *SQLITE_TRIGGERS):
        op.execute(statement)


def upgrade() -> None:
    table = op.create_table(
        "audit_code",
        sa.Column("column_name", sa.String(length=16), primary_key=True),
        sa.Column("code", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(length=32), nullable=False),
    )
    op.bulk_insert(
        table,
        [
            {"column_name": column, "code": code, "name": name}
            for column, codes in CODES.items()
            for name, code in codes.items()
        ],
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("SMALLINT", _as_numbers)
        return
    for column in CODES:
        op.execute(
            f"ALTER TABLE audit_event ALTER COLUMN {column} TYPE smallint"
            f" USING ({_as_numbers(column)})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("VARCHAR", _as_words)
    else:
        for column in CODES:
            op.execute(
                f"ALTER TABLE audit_event ALTER COLUMN {column} TYPE VARCHAR"
                f" USING ({_as_words(column)})"
            )
    op.drop_table("audit_code")
