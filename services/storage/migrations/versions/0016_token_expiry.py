"""token expiry

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

API tokens stay for machines, with an expiry: after it a token opens nothing, as if revoked.
Tokens made before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_token", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("api_token", "expires_at")
