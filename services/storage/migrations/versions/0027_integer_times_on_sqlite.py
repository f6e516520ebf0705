"""times as whole microseconds on SQLite

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04

A million generated cases made a SQLite file of 2.25 GB, where issue 16 allows 2 GB. SQLite kept
each time as 26 characters of text ('2026-12-04 17:08:27.272088'); whole microseconds since 1970
take 8 bytes, and they sit in a case's row and in three of its indexes, in its deadline and its
decision. The audit table has stored its times so since 0025; now every UTCDateTime column does
(services/storage/types.py). Both spellings are exact to the microsecond and sort as the times
do. SQLite's declared types only advise, so no table is rebuilt: the values are rewritten in
place. PostgreSQL keeps timestamptz, which is 8 bytes already, so it has nothing to do.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every UTCDateTime column at this revision but the audit table's, which 0025 converted.
COLUMNS = {
    "agreement": ("created_at",),
    "amendment": ("requested_at", "assessed_at", "decided_at"),
    "api_token": ("created_at", "revoked_at", "expires_at"),
    "app_user": ("created_at",),
    "attachment": ("uploaded_at",),
    "case_party": ("confirmed_at",),
    "checklist_answer": ("answered_at",),
    "deadline": ("due_at", "created_at", "fired_at", "retry_at"),
    "deadline_extension": ("was_at", "due_at", "created_at"),
    "decision": ("proposed_at", "settled_at"),
    "disbursement": ("paid_at",),
    "erasure_proposal": ("proposed_at", "decided_at"),
    "grant_case": ("created_at", "updated_at"),
    "idempotency_record": ("created_at",),
    "incident": ("first_seen", "last_seen", "resolved_at"),
    "legal_hold": ("placed_at", "lifted_at"),
    "mail": ("next_attempt_at", "claimed_at", "sent_at", "created_at"),
    "notification": ("created_at", "sent_at"),
    "personal_key": ("created_at", "erased_at"),
    "programme": ("loaded_at", "retired_at"),
    "programme_proposal": ("proposed_at", "decided_at"),
    "programme_version": ("effective_from", "registered_at"),
    "registry_entry": ("registered_at",),
    "scheduler_heartbeat": ("started_at", "last_sweep_started_at", "last_sweep_completed_at"),
    "tranche": ("released_at",),
    "user_identity": ("created_at",),
    "web_session": ("created_at", "expires_at", "last_seen_at"),
}


def _as_microseconds(column: str) -> str:
    """SQL for the UTC text SQLAlchemy wrote ('YYYY-MM-DD HH:MM:SS.ffffff', the fraction
    sometimes left off) as whole microseconds. strftime('%s') gives the whole seconds; the
    fraction is read as digits, not through a float, so no microsecond is rounded away."""
    return (
        f"CAST(strftime('%s', {column}) AS INTEGER) * 1000000"
        f" + CASE WHEN substr({column}, 20, 1) = '.'"
        f" THEN CAST(substr(substr({column}, 21) || '000000', 1, 6) AS INTEGER) ELSE 0 END"
    )


def _as_text(column: str) -> str:
    return (
        f"strftime('%Y-%m-%d %H:%M:%S', {column} / 1000000, 'unixepoch')"
        f" || '.' || printf('%06d', {column} % 1000000)"
    )


def _rewrite(spelling: Callable[[str], str], stored_as: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            unreadable = bind.execute(
                sa.text(
                    f"SELECT count(*) FROM {table} WHERE typeof({column}) = 'text'"
                    f" AND strftime('%s', {column}) IS NULL"
                )
            ).scalar_one()
            if unreadable:  # a time lost would be worse than a migration stopped
                raise ValueError(f"{unreadable} values of {table}.{column} are no time")
            op.execute(
                f"UPDATE {table} SET {column} = {spelling(column)}"
                f" WHERE typeof({column}) = '{stored_as}'"
            )


def upgrade() -> None:
    _rewrite(_as_microseconds, "text")


def downgrade() -> None:
    _rewrite(_as_text, "integer")
