"""incidents

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

A deadline that fails is retried with backoff and then held for a person: it counts its attempts
and knows when it is tried next. Incidents are what a person sees and acts on. The service's own
jobs (the daily signing) have at most one pending deadline each, so processes that start at once
cannot plan it twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_JOB = "case_id IS NULL AND programme_id IS NULL AND status = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    # Only the few that failed, so the sweep's own index stays the one it uses.
    op.create_index(
        "ix_deadline_failing_retry_at",
        "deadline",
        ["retry_at"],
        unique=False,
        sqlite_where=sa.text("status = 'failing'"),
        postgresql_where=sa.text("status = 'failing'"),
    )
    # Duplicates a race left behind before this release: keep the first of each.
    op.execute(
        "UPDATE deadline SET status = 'cancelled', outcome = 'a second plan of the same job' "
        f"WHERE {SERVICE_JOB} AND id NOT IN "
        f"(SELECT min(id) FROM deadline WHERE {SERVICE_JOB} GROUP BY kind)"
    )
    op.create_index(
        "uq_deadline_service_job",
        "deadline",
        ["kind"],
        unique=True,
        sqlite_where=sa.text(SERVICE_JOB),
        postgresql_where=sa.text(SERVICE_JOB),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadline.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.ForeignKeyConstraint(["resolved_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_status", "incident", ["status"], unique=False)
    # One open incident per thing that failed: a deadline, or a programme file.
    op.create_index(
        "uq_incident_open",
        "incident",
        ["kind", "subject"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_incident_open", table_name="incident")
    op.drop_index("ix_incident_status", table_name="incident")
    op.drop_table("incident")
    op.drop_index("uq_deadline_service_job", table_name="deadline")
    op.drop_index("ix_deadline_failing_retry_at", table_name="deadline")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempts")
