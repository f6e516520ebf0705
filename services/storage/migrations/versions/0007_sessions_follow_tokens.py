"""sessions follow tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A browser session knows the token it was opened with (revoking the token ends the session) and
when it was last used (an idle session ends).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_web_session_token", "api_token", ["token_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_constraint("fk_web_session_token", type_="foreignkey")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("token_id")
