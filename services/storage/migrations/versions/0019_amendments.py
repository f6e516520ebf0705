"""amendments

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

Change requests after a decision, and decision versions: an approved amendment makes a new
version of the decision and keeps the old one, superseded. Existing decisions are version 1.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain columns, no batch copy: SQLite would rebuild `decision`, which commitments, tranches
    # and amendments point at.
    op.add_column(
        "decision", sa.Column("version", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("decision", sa.Column("supersedes_id", sa.Integer(), nullable=True))
    op.add_column("decision", sa.Column("amendment_id", sa.Integer(), nullable=True))
    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", TIME, nullable=False),
        sa.Column("assessed_by", sa.Integer(), nullable=True),
        sa.Column("assessed_at", TIME, nullable=True),
        sa.Column("recommendation", sa.String(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("on_submission", sa.Boolean(), nullable=False),
        sa.Column("new_decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["new_decision_id"], ["decision.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_amendment_case", "amendment", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_amendment_case", table_name="amendment")
    op.drop_table("amendment")
    for column in ("amendment_id", "supersedes_id", "version"):
        op.drop_column("decision", column)
