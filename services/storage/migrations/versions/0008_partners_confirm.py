"""partners confirm

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A partner an applicant names on a joint application is listed, and counted, only once it has
confirmed. Parties recorded before this release count as confirmed when their case was made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE case_party SET confirmed_at = "
        "(SELECT created_at FROM grant_case WHERE grant_case.id = case_party.case_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
