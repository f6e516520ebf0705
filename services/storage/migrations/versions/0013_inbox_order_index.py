"""inbox order index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

The inbox lists cases by when they last changed, newest first, a page at a time: indexes on
(updated_at, id) and (state, updated_at, id) let the database read the first page in order
instead of sorting every case; the second replaces the index on state alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_grant_case_updated_at_id", "grant_case", ["updated_at", "id"])
    op.create_index(
        "ix_grant_case_state_updated_at_id", "grant_case", ["state", "updated_at", "id"]
    )
    op.drop_index("ix_grant_case_state", table_name="grant_case")


def downgrade() -> None:
    op.create_index("ix_grant_case_state", "grant_case", ["state"])
    op.drop_index("ix_grant_case_state_updated_at_id", table_name="grant_case")
    op.drop_index("ix_grant_case_updated_at_id", table_name="grant_case")
