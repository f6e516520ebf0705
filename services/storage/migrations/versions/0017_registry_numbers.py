"""registry numbers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10

Every case and every document in or out gets a registry number (diarienummer) in its programme's
series and year: `SFU 2026/0123`, its documents `SFU 2026/0123-1`, `-2`, ... The counters are
rows, drawn under a lock in the registering transaction, so numbers have no gaps.

Cases and documents that exist already are numbered here in order of creation: each case in
its programme's series (the last kept version's `registry_series`, else its `reference_prefix`)
and the year it was opened in the programme's time zone; its files and the decisions it sent, in
the order of their audit events. The outgoing transitions are those states/registry.toml names
in this release, written out here so that a later change of that file does not change what this
migration did.
"""

import datetime as dt
import tomllib
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTGOING = {
    "grant_mapping": ("grant_decision", "Grant decision (mapping)"),
    "grant_implementation": ("grant_decision", "Grant decision"),
    "decline_interest": ("refusal", "Interest declined"),
    "reject": ("refusal", "Refusal"),
    "claim_repayment": ("repayment_claim", "Repayment claim"),
    "claim_full_repayment": ("repayment_claim", "Repayment claim (all paid)"),
}
GRANTS = ("grant_mapping", "grant_implementation")


def upgrade() -> None:
    op.create_table(
        "registry_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series", "year", "case_number", name="uq_registry_counter"),
    )
    op.create_table(
        "registry_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.Integer(), nullable=False),
        sa.Column("registry_number", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("transition", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["grant_case.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series", "year", "number", "document", name="uq_registry_entry"),
    )
    op.create_index("ix_registry_entry_case", "registry_entry", ["case_id", "document"])
    op.create_index("ix_registry_entry_registered_at_id", "registry_entry", ["registered_at", "id"])
    with op.batch_alter_table("grant_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registry_number", sa.String(length=40), nullable=True))
        batch_op.create_index("uq_grant_case_registry_number", ["registry_number"], unique=True)
    _number_what_exists(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("grant_case", schema=None) as batch_op:
        batch_op.drop_index("uq_grant_case_registry_number")
        batch_op.drop_column("registry_number")
    op.drop_index("ix_registry_entry_registered_at_id", table_name="registry_entry")
    op.drop_index("ix_registry_entry_case", table_name="registry_entry")
    op.drop_table("registry_entry")
    op.drop_table("registry_counter")


def _utc(value: dt.datetime | str) -> dt.datetime:
    """A stored time, aware (SQLite hands back naive text in UTC to a plain query)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _rules(content: str | None) -> dict[str, Any]:
    try:
        return tomllib.loads(content) if content else {}
    except tomllib.TOMLDecodeError:
        return {}


def _files() -> dict[str, dict[str, Any]]:
    """The programme files start-up will register, by code: the rules of a programme that has
    no version kept yet (a database from before 0.2)."""
    try:
        from config.settings import get_settings

        folder = get_settings().programmes_dir
        found = [_rules(path.read_text(encoding="utf-8")) for path in folder.glob("*.toml")]
    except Exception:  # no settings, no folder: the code itself names the series
        return {}
    return {str(rules.get("code")): rules for rules in found}


def _series(code: str, rules: dict[str, Any]) -> str:
    """The series the service numbers the programme's new cases in: the rules in force's
    `registry_series`, or their `reference_prefix` (workflow.programmes.ProgrammeConfig.series)."""
    return str(rules.get("registry_series") or rules.get("reference_prefix") or code.upper())[:16]


def _number_what_exists(conn: sa.Connection) -> None:
    programmes = {}
    files: dict[str, dict[str, Any]] | None = None
    for pid, code, zone in conn.execute(sa.text("SELECT id, code, time_zone FROM programme")):
        content = conn.execute(
            sa.text(
                "SELECT content FROM programme_version WHERE programme_id = :p "
                "ORDER BY version DESC LIMIT 1"
            ),
            {"p": pid},
        ).scalar()
        if content is None:
            files = _files() if files is None else files
        rules = _rules(content) if content is not None else (files or {}).get(code, {})
        programmes[pid] = (_series(code, rules), ZoneInfo(zone))
    counters: dict[tuple[str, int, int], int] = {}
    entries: list[dict[str, Any]] = []
    cases = conn.execute(
        sa.text(
            "SELECT id, programme_id, title, created_at FROM grant_case ORDER BY created_at, id"
        )
    ).all()
    for case_id, programme_id, title, created_at in cases:
        series, zone = programmes[programme_id]
        year = _utc(created_at).astimezone(zone).year
        number = counters[(series, year, 0)] = counters.get((series, year, 0), 0) + 1
        case_number = f"{series} {year}/{number:04d}"
        conn.execute(
            sa.text("UPDATE grant_case SET registry_number = :n WHERE id = :id"),
            {"n": case_number, "id": case_id},
        )
        created = conn.execute(
            sa.text("SELECT min(seq) FROM audit_event WHERE case_id = :id AND kind = 'created'"),
            {"id": case_id},
        ).scalar()
        base = {"series": series, "year": year, "number": number, "case_id": case_id}
        entries.append(
            {
                **base,
                "document": 0,
                "registry_number": case_number,
                "direction": "in",
                "kind": "case",
                "attachment_id": None,
                "decision_id": None,
                "transition": None,
                "title": title,
                "registered_at": created_at,
                "event_seq": created,
            }
        )
        documents = _documents(conn, case_id)
        for document, found in enumerate(documents, start=1):
            entries.append({**base, **found, "document": document})
            entries[-1]["registry_number"] = f"{case_number}-{document}"
        counters[(series, year, number)] = len(documents)
    if entries:
        conn.execute(sa.text(_INSERT_ENTRY), entries)
    rows = [{"s": s, "y": y, "c": c, "n": n} for (s, y, c), n in counters.items()]
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO registry_counter (series, year, case_number, last_number) "
                "VALUES (:s, :y, :c, :n)"
            ),
            rows,
        )


_INSERT_ENTRY = (
    "INSERT INTO registry_entry (series, year, number, document, registry_number, case_id, "
    "direction, kind, attachment_id, decision_id, transition, title, registered_at, event_seq) "
    "VALUES (:series, :year, :number, :document, :registry_number, :case_id, :direction, :kind, "
    ":attachment_id, :decision_id, :transition, :title, :registered_at, :event_seq)"
)


def _documents(conn: sa.Connection, case_id: int) -> list[dict[str, Any]]:
    """A case's files and the decisions it sent, in the order of their audit events."""
    found: list[tuple[int, dict[str, Any]]] = []
    for aid, kind, filename, uploaded_at, seq in conn.execute(
        sa.text(
            "SELECT id, kind, filename, uploaded_at, event_seq FROM attachment "
            "WHERE case_id = :id ORDER BY id"
        ),
        {"id": case_id},
    ):
        found.append(
            (
                seq or 0,
                {
                    "direction": "in",
                    "kind": kind,
                    "attachment_id": aid,
                    "decision_id": None,
                    "transition": None,
                    "title": filename,
                    "registered_at": uploaded_at,
                    "event_seq": seq,
                },
            )
        )
    decisions = [
        d
        for (d,) in conn.execute(
            sa.text(
                "SELECT id FROM decision WHERE case_id = :id AND status = 'confirmed' "
                "ORDER BY settled_at, id"
            ),
            {"id": case_id},
        )
    ]
    names = ", ".join(f"'{name}'" for name in OUTGOING)
    events = conn.execute(
        sa.text(
            f"SELECT seq, transition, at FROM audit_event WHERE case_id = :id "
            f"AND kind = 'transition' AND transition IN ({names}) ORDER BY seq"
        ),
        {"id": case_id},
    )
    for seq, transition, at in events:
        kind, title = OUTGOING[transition]
        decision = decisions.pop(0) if transition in GRANTS and decisions else None
        found.append(
            (
                seq,
                {
                    "direction": "out",
                    "kind": kind,
                    "attachment_id": None,
                    "decision_id": decision,
                    "transition": transition,
                    "title": title,
                    "registered_at": at,
                    "event_seq": seq,
                },
            )
        )
    return [entry for _, entry in sorted(found, key=lambda f: f[0])]
