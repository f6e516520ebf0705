"""Bulk data for benchmarks and load tests: many granted cases, with their events and deadlines.

Each case is what the lifecycle would have made of it: created as a draft, applied for, a grant
proposed by a caseworker and confirmed by an approver, its grant period's end pending as a
deadline. The events are chained and hashed exactly as the audit writer does (the chain verifies),
but written in bulk, because a million cases through the API would take hours.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, func, insert
from sqlmodel import select

from services.audit import EventKind
from services.cases import CaseService, creation_snapshot
from services.schemas import CasePublic, Party
from services.storage.models import (
    AuditEvent,
    AuditHead,
    Case,
    CaseParty,
    Deadline,
    Decision,
    Organisation,
    Programme,
    User,
)
from services.storage.types import MoneyAmount, UTCDateTime
from workflow.audit_chain import canonical, format_time, hash_of
from workflow.case import ZERO
from workflow.deadlines import end_of_day

BATCH = 5_000
STEPS = (
    (EventKind.created, None, None, "application_draft"),
    (EventKind.transition, "apply_implementation", "application_draft", "implementation_applied"),
    (
        EventKind.transition,
        "propose_implementation_grant",
        "implementation_applied",
        "implementation_proposed",
    ),
    (
        EventKind.transition,
        "grant_implementation",
        "implementation_proposed",
        "implementation_granted",
    ),
)


@dataclass(frozen=True)
class Generated:
    cases: int
    events: int
    deadlines: int


def generate_cases(
    cases: CaseService,
    count: int,
    *,
    programme: str = "dua-2021",
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Generated:
    """Add `count` granted cases to `programme`, each with 4 events and a pending deadline.

    Grant periods end between one and three years after the clock's now, so nothing is due yet:
    a sweep over them has nothing to do, which is what an idle sweep is measured on.
    """
    db, clock = cases.db, cases.clock
    rng = random.Random(seed)
    config = cases.catalogue.programme(programme)
    if config is None:
        raise ValueError(f"no programme {programme!r}")
    programme_id = cases.programme_id(programme)
    now = clock.now()
    with db.writing() as session:
        orgs = _organisations(session, 290)
        staff = {}
        for role in ("applicant", "caseworker", "approver"):
            user = session.exec(select(User).where(User.name == f"generated {role}")).first()
            if user is None:
                user = User(
                    name=f"generated {role}",
                    role=role,
                    created_at=now,
                    organisation_id=orgs[0] if role == "applicant" else None,
                )
                session.add(user)
                session.flush()
            staff[role] = user
        first_id = session.exec(select(func.coalesce(func.max(Case.id), 0))).one() + 1

    made = events = 0
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        with db.writing() as session:
            head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
            seq, prev, at = head.seq, head.hash, max(head.at or now, now)
            case_rows, party_rows, decision_rows, deadline_rows, event_rows = [], [], [], [], []
            for case_id in range(first_id + start, first_id + start + size):
                org = orgs[rng.randrange(len(orgs))]
                requested = Decimal(rng.randrange(100, 5_000)) * 1000
                granted = requested * Decimal(rng.choice(("0.6", "0.8", "1.0")))
                period_start = (now + dt.timedelta(days=rng.randrange(0, 60))).date()
                period_end = period_start + dt.timedelta(days=rng.randrange(365, 1095))
                case_rows.append(
                    {
                        "id": case_id,
                        "programme_id": programme_id,
                        "organisation_id": org,
                        "title": f"Utvecklingsarbete {case_id}",
                        "state": "implementation_granted",
                        "version": 4,
                        "requested_amount": requested,
                        "granted_amount": granted,
                        "disbursed_amount": granted,
                        "to_repay": ZERO,
                        "balance_due": ZERO,
                        "repaid_amount": ZERO,
                        "period_start": period_start,
                        "period_end": period_end,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                party_rows.append({"case_id": case_id, "organisation_id": org, "is_lead": True})
                decision_rows.append(
                    {
                        "case_id": case_id,
                        "status": "confirmed",
                        "amount": granted,
                        "period_start": period_start,
                        "period_end": period_end,
                        "conditions": "",
                        "proposed_by": staff["caseworker"].id,
                        "proposed_at": at,
                        "settled_by": staff["approver"].id,
                        "settled_at": at,
                    }
                )
                deadline_rows.append(
                    {
                        "case_id": case_id,
                        "programme_id": programme_id,
                        "kind": "period_end",
                        "fires": "end_period",
                        "due_at": end_of_day(period_end, config.zone),
                        "time_zone": config.time_zone,
                        "rule": f"{programme}#deadlines.period_end",
                        "status": "pending",
                        "created_at": at,
                    }
                )
                steps = _events(
                    case_id,
                    org,
                    requested,
                    granted,
                    period_start,
                    period_end,
                    staff,
                    programme,
                    config.currency,
                    at,
                )
                for body in steps:
                    seq += 1
                    at += dt.timedelta(microseconds=1)
                    body.update(seq=seq, prev_hash=prev, at=format_time(at))
                    payload = canonical(body)
                    prev = hash_of(payload)
                    event_rows.append(
                        {
                            "seq": seq,
                            "at": at,
                            "case_id": case_id,
                            "kind": body["kind"],
                            "transition": body["transition"],
                            "from_state": body["from_state"],
                            "to_state": body["to_state"],
                            "actor_id": body["actor_id"],
                            "role": body["role"],
                            "payload": payload,
                            "prev_hash": body["prev_hash"],
                            "hash": prev,
                        }
                    )
            connection = session.connection()
            for model, rows in (
                (Case, case_rows),
                (CaseParty, party_rows),
                (Decision, decision_rows),
                (Deadline, deadline_rows),
                (AuditEvent, event_rows),
            ):
                _bulk_insert(connection, model.__table__, rows)  # type: ignore[attr-defined]
            head.seq, head.hash, head.at = seq, prev, at
            # The pool's committed total moves with the confirmed decisions, as it does in service.
            programme_row = session.get(Programme, programme_id)
            programme_row.committed += sum((row["amount"] for row in decision_rows), ZERO)  # type: ignore[union-attr]
            session.add(programme_row)
            session.add(head)
        made += size
        events += len(event_rows)
        if progress:
            progress(size)
    return Generated(cases=made, events=events, deadlines=made)


def _events(
    case_id: int,
    org: int,
    requested: Decimal,
    granted: Decimal,
    period_start: dt.date,
    period_end: dt.date,
    staff: dict[str, User],
    programme: str,
    currency: str,
    at: dt.datetime,
) -> Iterator[dict[str, Any]]:
    for version, (kind, transition, from_state, to_state) in enumerate(STEPS, start=1):
        actor = staff[
            {
                None: "applicant",
                "apply_implementation": "applicant",
                "propose_implementation_grant": "caseworker",
                "grant_implementation": "approver",
            }[transition]
        ]
        inputs: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        if transition is None:
            changes = _snapshot_template(programme, currency, at) | {
                "title": f"Utvecklingsarbete {case_id}",
                "organisation_id": org,
                "parties": [{"organisation_id": org, "is_lead": True}],
            }
        elif transition == "apply_implementation":
            inputs = changes = {"requested_amount": requested}
        elif transition == "propose_implementation_grant":
            inputs = {"amount": granted, "period_start": period_start, "period_end": period_end}
        else:
            changes = {
                "granted_amount": granted,
                "disbursed_amount": granted,
                "period_start": period_start,
                "period_end": period_end,
            }
        yield {
            "kind": kind,
            "case_id": case_id,
            "transition": transition,
            "from_state": from_state,
            "to_state": to_state,
            "case_version": version,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "role": actor.role,
            "inputs": inputs,
            "changes": changes,
            "reason": None,
            "details": {"generated": True},
        }


_templates: dict[tuple[str, str], dict[str, Any]] = {}


def _snapshot_template(programme: str, currency: str, at: dt.datetime) -> dict[str, Any]:
    """A new case's first event, as the case service writes it, made once and reused."""
    key = (programme, currency)
    if key not in _templates:
        _templates[key] = creation_snapshot(
            CasePublic(
                id=1,
                reference="",
                programme=programme,
                title="",
                organisation_id=1,
                parties=[Party(organisation_id=1, is_lead=True)],
                state="application_draft",
                version=1,
                currency=currency,
                requested_amount=None,
                granted_amount=ZERO,
                disbursed_amount=ZERO,
                reported_costs=None,
                eligible_spent=None,
                to_repay=ZERO,
                balance_due=ZERO,
                repaid_amount=ZERO,
                created_at=at,
                updated_at=at,
            )
        )
    return _templates[key]


def _organisations(session: Any, count: int) -> list[int]:
    existing = session.exec(
        select(Organisation.id).where(Organisation.name.like("Generated kommun %"))
    ).all()  # type: ignore[attr-defined]
    if len(existing) >= count:
        return list(existing)
    session.execute(
        insert(Organisation),
        [
            {"name": f"Generated kommun {i:04d}", "kind": "municipality", "country": "SE"}
            for i in range(len(existing), count)
        ],
    )
    return list(
        session.exec(
            select(Organisation.id).where(Organisation.name.like("Generated kommun %"))
        ).all()
    )  # type: ignore[attr-defined]


def _bulk_insert(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows straight to the driver: COPY on PostgreSQL, executemany on SQLite, values converted
    as the column types would (money to öre, times to UTC); the ORM's and Core's per-value
    bookkeeping is most of the cost at a million rows."""
    if not rows:
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    sqlite = connection.dialect.name == "sqlite"
    converters = [_converter(column.type, sqlite) for column in columns]
    values = [
        tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True))
        for row in rows
    ]
    if sqlite:
        placeholders = ", ".join("?" for _ in names)
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})", values
        )
        return
    raw = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for value in values:
            copy.write_row(value)


def _converter(kind: Any, sqlite: bool) -> Callable[[Any], Any]:
    if isinstance(kind, MoneyAmount):
        return lambda v: None if v is None else int(v * 100)
    if isinstance(kind, UTCDateTime):
        if sqlite:  # SQLAlchemy's own SQLite format, naive UTC
            return lambda v: (
                None if v is None else v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            )
        return lambda v: v
    if sqlite and isinstance(kind, Date):
        return lambda d: None if d is None else d.isoformat()
    if sqlite and isinstance(kind, Boolean):
        return lambda b: None if b is None else int(b)
    return lambda v: v
