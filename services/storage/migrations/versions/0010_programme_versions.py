"""programme versions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Each programme file's content as registered, numbered, with who registered it and why; cases,
decisions and deadlines name the version they were made under. Those made before this release
name none: only the file's hash was kept then (in the `programme_registered` events).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PINNED = ("grant_case", "decision", "deadline")


def upgrade() -> None:
    op.create_table(
        "programme_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "version", name="uq_programme_version"),
    )
    for table in PINNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("programme_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in PINNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("programme_version")
    op.drop_table("programme_version")
