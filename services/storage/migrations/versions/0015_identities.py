"""identities

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

People sign in through the agency's OpenID Connect provider: who a user is there (issuer and
subject, never an e-mail address alone), and what each browser session's sign-in said
(issuer, subject, assurance, the ID token for signing out at the provider).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject"),
    )
    op.create_index("ix_user_identity_user_id", "user_identity", ["user_id"])
    for column in ("issuer", "subject", "acr", "amr"):
        op.add_column("web_session", sa.Column(column, sa.String(), nullable=True))
    op.add_column("web_session", sa.Column("id_token", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("id_token", "amr", "acr", "subject", "issuer"):
        op.drop_column("web_session", column)
    op.drop_index("ix_user_identity_user_id", table_name="user_identity")
    op.drop_table("user_identity")
