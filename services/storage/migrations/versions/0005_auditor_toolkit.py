"""auditor toolkit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Searching the audit log by actor and by transition without a scan, and deadlines that belong to
no programme (the daily signing of the chain's head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_event_transition_seq", ["transition", "seq"], unique=False)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.alter_column("programme_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.alter_column("programme_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_transition_seq")
        batch_op.drop_index("ix_audit_event_actor_seq")
