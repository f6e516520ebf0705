"""personal data apart

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

A key per person, under which their name and words are sealed in the audit log from now on;
legal holds; and the erasures retention proposes. Events written before stay as they were.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "personal_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("erased_at", TIME, nullable=True),
        sa.Column("erased_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.Integer(), nullable=True),
        sa.Column("placed_at", TIME, nullable=False),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.Column("lifted_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_hold_user", "legal_hold", ["user_id"])
    op.create_index("ix_legal_hold_case", "legal_hold", ["case_id"])
    op.create_table(
        "erasure_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("proposed_at", TIME, nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasure_proposal_user_status", "erasure_proposal", ["user_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_erasure_proposal_user_status", table_name="erasure_proposal")
    op.drop_table("erasure_proposal")
    op.drop_index("ix_legal_hold_case", table_name="legal_hold")
    op.drop_index("ix_legal_hold_user", table_name="legal_hold")
    op.drop_table("legal_hold")
    op.drop_table("personal_key")
