"""list indexes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-11

A list of one programme's cases in one state, newest change first (the inbox filtered) or by
number (the API's list), is read in order from an index rather than sorted: (programme_id,
state, updated_at, id) for the first, and (programme_id, state, id), which replaces the index on
(programme_id, state) and serves every query that one did.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_grant_case_programme_state_updated_at_id",
        "grant_case",
        ["programme_id", "state", "updated_at", "id"],
    )
    op.create_index(
        "ix_grant_case_programme_state_id", "grant_case", ["programme_id", "state", "id"]
    )
    op.drop_index("ix_grant_case_programme_state", table_name="grant_case")


def downgrade() -> None:
    op.create_index("ix_grant_case_programme_state", "grant_case", ["programme_id", "state"])
    op.drop_index("ix_grant_case_programme_state_id", table_name="grant_case")
    op.drop_index("ix_grant_case_programme_state_updated_at_id", table_name="grant_case")
