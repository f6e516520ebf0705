"""mail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

People hear about their case by e-mail: addresses, languages and preferences for organisations
and users, and the mail outbox a sender delivers from, each message once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on both databases: SQLite's batch mode would copy these
    # tables, and dropping the original fails while other tables' rows refer to it.
    for table in ("organisation", "app_user"):
        op.add_column(table, sa.Column("email", sa.String(), nullable=True))
        op.add_column(table, sa.Column("language", sa.String(length=2), nullable=True))
        op.add_column(
            table,
            sa.Column("mail_reminders", sa.Boolean(), nullable=False, server_default=sa.true()),
        )
    op.add_column(
        "app_user",
        sa.Column("mail_digest", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("about", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["digest_id"], ["mail.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mail_status_next_attempt_at", "mail", ["status", "next_attempt_at"])
    op.create_index("ix_mail_case", "mail", ["case_id"])
    op.create_index("ix_mail_user_status", "mail", ["user_id", "status"])
    with op.batch_alter_table("incident") as table:
        table.add_column(sa.Column("mail_id", sa.Integer(), nullable=True))
        table.create_foreign_key("fk_incident_mail_id", "mail", ["mail_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("incident") as table:
        table.drop_constraint("fk_incident_mail_id", type_="foreignkey")
        table.drop_column("mail_id")
    op.drop_index("ix_mail_user_status", table_name="mail")
    op.drop_index("ix_mail_case", table_name="mail")
    op.drop_index("ix_mail_status_next_attempt_at", table_name="mail")
    op.drop_table("mail")
    op.drop_column("app_user", "mail_digest")
    for table in ("app_user", "organisation"):
        for column in ("mail_reminders", "language", "email"):
            op.drop_column(table, column)
