"""payment tranches

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10

A confirmed decision is paid in tranches, each released when its condition is met (issue 18);
a disbursement names the tranche it pays. Disbursements made before stay without one: their
decisions were confirmed before there were tranches, and no tranches are made up for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tranche",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("condition", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "number", name="uq_tranche_case_number"),
    )
    op.create_index("ix_tranche_case_id", "tranche", ["case_id"])
    with op.batch_alter_table("disbursement") as batch:
        batch.add_column(sa.Column("tranche_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paid_on", sa.Date(), nullable=True))
        batch.create_foreign_key("fk_disbursement_tranche", "tranche", ["tranche_id"], ["id"])
        batch.create_index("ix_disbursement_tranche_id", ["tranche_id"])


def downgrade() -> None:
    with op.batch_alter_table("disbursement") as batch:
        batch.drop_index("ix_disbursement_tranche_id")
        batch.drop_constraint("fk_disbursement_tranche", type_="foreignkey")
        batch.drop_column("paid_on")
        batch.drop_column("tranche_id")
    op.drop_index("ix_tranche_case_id", table_name="tranche")
    op.drop_table("tranche")
