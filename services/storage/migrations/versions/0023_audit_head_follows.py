"""the audit head follows the events it is written with

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

The chain's head row used to be updated by the service after each event, one more statement
while the head was locked (issue 16). A trigger now moves it with the event's own insert, in the
same transaction: on PostgreSQL once per statement (the batch's last event), on SQLite per row.
It only ever moves the head forward, so a writer that moves it itself (the generator) agrees.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_FUNCTION = """
CREATE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head
       SET seq = last.seq, hash = last.hash, at = last.at
      FROM (SELECT seq, hash, at FROM new_events ORDER BY seq DESC LIMIT 1) AS last
     WHERE audit_head.id = 1 AND last.seq > audit_head.seq;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_event
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_head_follows()
"""
SQLITE_TRIGGER = """
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_event
WHEN NEW.seq > (SELECT seq FROM audit_head WHERE id = 1)
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash, at = NEW.at WHERE id = 1;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS audit_head_follows"
        + (" ON audit_event" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_head_follows()")
