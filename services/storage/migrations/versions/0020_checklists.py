"""assessment checklists

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10

The answers caseworkers give to the criteria a programme's checklist declares, one per case and
criterion; every answer given is also an audit event.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checklist_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", TIME, nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "key", name="uq_checklist_answer"),
    )


def downgrade() -> None:
    op.drop_table("checklist_answer")
