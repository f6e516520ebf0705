"""audit payloads packed with Zstandard

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04

Verifying a long chain spent most of its time unpacking DEFLATE payloads (issue 16: at least
200 000 events a second). Packing 2 is a Zstandard frame against the same preset dictionary: as
small, unpacked in about half the time (services/storage/audit_encoding.py). New events are
packed so; events already stored keep packing 1, which stays readable, so the upgrade rewrites
nothing. `audit_dictionary` gains a `method` column, so that the table alone says how to read
each packing; going back, events of packing 2 are packed again as 1.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.storage.audit_encoding import PACKINGS, dictionary, pack, unpack

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = 2
BATCH = 5000
SQLITE_NO_UPDATE = """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END"""
PG_GUARD = "audit_event_no_update_or_delete"  # PostgreSQL's append-only trigger (0001)


def upgrade() -> None:
    op.add_column(
        "audit_dictionary",
        sa.Column("method", sa.String(length=16), nullable=False, server_default="deflate"),
    )
    table = sa.table(
        "audit_dictionary",
        sa.column("id", sa.Integer()),
        sa.column("sha256", sa.String()),
        sa.column("bytes", sa.LargeBinary()),
        sa.column("method", sa.String()),
    )
    packing = PACKINGS[ADDED]
    row = {"id": ADDED, "sha256": packing.sha256, "bytes": dictionary(ADDED)}
    op.bulk_insert(table, [{**row, "method": packing.method}])


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # Packing again is an UPDATE the table otherwise never takes: its guard steps aside.
    op.execute(
        "DROP TRIGGER audit_event_no_update"
        if sqlite
        else f"ALTER TABLE audit_event DISABLE TRIGGER {PG_GUARD}"
    )
    read = sa.text(
        f"SELECT seq, payload FROM audit_event WHERE seq > :last ORDER BY seq LIMIT {BATCH}"
    )
    write = sa.text("UPDATE audit_event SET payload = :p WHERE seq = :s")
    last = -1
    while rows := bind.execute(read, {"last": last}).all():
        again = [
            {"s": seq, "p": pack(unpack(payload), 1)}
            for seq, payload in rows
            if bytes(payload[:1]) == bytes((ADDED,))
        ]
        if again:
            bind.execute(write, again)
        last = rows[-1][0]
    op.execute(SQLITE_NO_UPDATE if sqlite else f"ALTER TABLE audit_event ENABLE TRIGGER {PG_GUARD}")
    op.execute(f"DELETE FROM audit_dictionary WHERE id = {ADDED}")
    op.execute("ALTER TABLE audit_dictionary DROP COLUMN method")
