"""Bulk data for benchmarks and load tests: many granted cases, with their events and deadlines.

Each case is what the lifecycle would have made of it: created as a draft, applied for, a grant
proposed by a caseworker and confirmed by an approver, its grant period's end pending as a
deadline. The events are chained and hashed exactly as the audit writer does (the chain verifies),
but written in bulk, because a million cases through the API would take hours.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, insert
from sqlmodel import select

from services.access import add_user
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
from workflow.actors import Role
from workflow.audit_chain import canonical, format_time, hash_of
from workflow.case import ZERO
from workflow.clock import Clock
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
ACTOR_OF = {
    None: "applicant",
    "apply_implementation": "applicant",
    "propose_implementation_grant": "caseworker",
    "grant_implementation": "approver",
}
# The columns a batch fills, in the order its rows hold them.
COLUMNS = {
    Case: (
        "id", "programme_id", "organisation_id", "title", "state", "version",
        "requested_amount", "granted_amount", "disbursed_amount", "to_repay", "balance_due",
        "repaid_amount", "period_start", "period_end", "created_at", "updated_at",
    ),
    CaseParty: ("case_id", "organisation_id", "is_lead"),
    Decision: (
        "case_id", "status", "amount", "period_start", "period_end", "conditions",
        "proposed_by", "proposed_at", "settled_by", "settled_at",
    ),
    Deadline: (
        "case_id", "programme_id", "kind", "fires", "due_at", "time_zone", "rule", "status",
        "created_at",
    ),
    AuditEvent: (
        "seq", "at", "case_id", "kind", "transition", "from_state", "to_state", "actor_id",
        "role", "payload", "prev_hash", "hash",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Generated:
    cases: int
    events: int
    deadlines: int


class _Staff(NamedTuple):
    id: int
    name: str
    role: str


@dataclass
class _Batch:
    cases: int
    rows: dict[Any, list[tuple[Any, ...]]]
    after_seq: int  # the chain's head this batch continues
    seq: int
    hash: str
    at: dt.datetime
    committed: Decimal


def generate_cases(
    cases: CaseService,
    count: int,
    *,
    programme: str = "dua-2021",
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> Generated:
    """Add `count` granted cases to `programme`, each with 4 events and a pending deadline.

    Grant periods end between one and three years after the clock's now, so nothing is due yet:
    a sweep over them has nothing to do, which is what an idle sweep is measured on.

    A second process encodes and hashes the next batch while this one writes the last, so
    generation must be the only writer while it runs: a batch that finds the chain moved on by
    someone else stops it.
    """
    db, clock = cases.db, cases.clock
    config = cases.catalogue.programme(programme)
    if config is None:
        raise ValueError(f"no programme {programme!r}")
    now = clock.now()
    with db.writing() as session:
        orgs = _organisations(session, 290)
        users = {r: _staff(session, clock, Role(r), orgs[0]) for r in set(ACTOR_OF.values())}
        staff = {role: _Staff(u.id, u.name, u.role) for role, u in users.items()}  # type: ignore[arg-type]
        first_id = session.exec(select(func.coalesce(func.max(Case.id), 0))).one() + 1
        head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    maker = _BatchMaker(
        programme=programme,
        programme_id=cases.programme_id(programme),
        currency=config.currency,
        zone=config.zone,
        time_zone=config.time_zone,
        orgs=orgs,
        staff=staff,
        sqlite=db.is_sqlite,
        rng=random.Random(seed),
        now=now,
        seq=head.seq,
        hash=head.hash,
        at=max(head.at or now, now),
    )
    sizes = [
        (first_id + start, min(batch_size, count - start)) for start in range(0, count, batch_size)
    ]
    made = events = 0
    for batch in _made_elsewhere(maker, sizes):
        with db.writing() as session:
            if db.is_sqlite:  # the indexes of millions of rows, kept in memory while they grow
                session.connection().exec_driver_sql("PRAGMA cache_size = -524288")
            head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
            if head.seq != batch.after_seq:
                raise RuntimeError(
                    f"the audit chain moved from {batch.after_seq} to {head.seq} while generating"
                )
            connection = session.connection()
            for model, rows in batch.rows.items():
                _bulk_insert(connection, model.__table__.name, COLUMNS[model], rows)
            head.seq, head.hash, head.at = batch.seq, batch.hash, batch.at
            # The pool's committed total moves with the confirmed decisions, as it does in service.
            programme_row = session.get(Programme, maker.programme_id)
            programme_row.committed += batch.committed  # type: ignore[union-attr]
            session.add(programme_row)
            session.add(head)
        made += batch.cases
        events += len(batch.rows[AuditEvent])
        if progress:
            progress(batch.cases)
    if db.is_sqlite:  # the large cache goes with the connections that were given it
        db.engine.dispose()
    else:
        # What autovacuum would do a little later: statistics for the planner, and the visibility
        # map that lets a count run on the index alone (a filtered list at a million cases went
        # from 570 ms to tens of ms).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            tables = ", ".join(model.__table__.name for model in COLUMNS)  # type: ignore[attr-defined]
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")
    return Generated(cases=made, events=events, deadlines=made)


def _made_elsewhere(maker: _BatchMaker, sizes: list[tuple[int, int]]) -> Iterator[_Batch]:
    """The batches, made in a process of their own a little ahead of the one being written.

    A process, not a thread: encoding and hashing hold the interpreter, and a thread would take
    it from the one feeding the database, which then waits on it between rows."""
    context = multiprocessing.get_context("spawn")
    made: Any = context.Queue(maxsize=2)
    process = context.Process(target=_make, args=(maker, sizes, made), daemon=True)
    process.start()
    try:
        for _ in sizes:
            while True:
                try:
                    item = made.get(timeout=1)
                    break
                except queue.Empty:
                    if not process.is_alive():
                        raise RuntimeError("the process making the batches died") from None
            if isinstance(item, str):
                raise RuntimeError(f"making the batches failed:\n{item}")
            yield item
    finally:
        process.kill()
        process.join()


def _make(maker: _BatchMaker, sizes: list[tuple[int, int]], made: Any) -> None:
    try:
        for first, size in sizes:
            made.put(maker.batch(first, size))
    except Exception:
        made.put(traceback.format_exc())


@dataclass
class _BatchMaker:
    """Rows for the next cases, in the database's own formats, chained on from the last batch."""

    programme: str
    programme_id: int
    currency: str
    zone: Any
    time_zone: str
    orgs: list[int]
    staff: dict[str, _Staff]
    sqlite: bool
    rng: random.Random
    now: dt.datetime
    seq: int
    hash: str
    at: dt.datetime
    _cache: dict[str, Any] = field(default_factory=dict)

    def batch(self, first_id: int, size: int) -> _Batch:
        rng, staff, rule = self.rng, self.staff, f"{self.programme}#deadlines.period_end"
        when, day, money = self._formats()
        after_seq, seq, prev, at = self.seq, self.seq, self.hash, self.at
        rows: dict[Any, list[tuple[Any, ...]]] = {model: [] for model in COLUMNS}
        committed = ZERO
        created = when(at)
        for case_id in range(first_id, first_id + size):
            org = self.orgs[rng.randrange(len(self.orgs))]
            requested = Decimal(rng.randrange(100, 5_000)) * 1000
            granted = requested * Decimal(rng.choice(("0.6", "0.8", "1.0")))
            start = (self.now + dt.timedelta(days=rng.randrange(0, 60))).date()
            end = start + dt.timedelta(days=rng.randrange(365, 1095))
            committed += granted
            title = f"Utvecklingsarbete {case_id}"
            rows[Case].append(
                (case_id, self.programme_id, org, title, "implementation_granted", 4,
                 money(requested), money(granted), money(granted), 0, 0, 0,
                 day(start), day(end), created, created)
            )  # fmt: skip
            rows[CaseParty].append((case_id, org, True))
            rows[Decision].append(
                (case_id, "confirmed", money(granted), day(start), day(end), "",
                 staff["caseworker"].id, created, staff["approver"].id, created)
            )  # fmt: skip
            rows[Deadline].append(
                (case_id, self.programme_id, "period_end", "end_period",
                 when(end_of_day(end, self.zone)), self.time_zone, rule, "pending", created)
            )  # fmt: skip
            steps = _events(
                case_id, org, requested, granted, start, end, staff, self.programme,
                self.currency, at,
            )  # fmt: skip
            for body in steps:
                seq += 1
                at += dt.timedelta(microseconds=1)
                previous = prev
                body.update(seq=seq, prev_hash=previous, at=format_time(at))
                payload = canonical(body)
                prev = hash_of(payload)
                rows[AuditEvent].append(
                    (seq, when(at), case_id, body["kind"], body["transition"],
                     body["from_state"], body["to_state"], body["actor_id"], body["role"],
                     payload, previous, prev)
                )  # fmt: skip
        self.seq, self.hash, self.at = seq, prev, at
        return _Batch(size, rows, after_seq, seq, prev, at, committed)

    def _formats(
        self,
    ) -> tuple[Callable[[dt.datetime], Any], Callable[[dt.date], Any], Callable[[Decimal], int]]:
        """How a time, a day and an amount reach the driver, as the column types would send them
        (times in UTC, naive text on SQLite; money in öre); the types' per-value work is most of
        the cost at a million rows."""

        def money(amount: Decimal) -> int:
            return int(amount * 100)

        if not self.sqlite:
            return (lambda at: at), (lambda d: d), money

        def when(at: dt.datetime) -> str:
            return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return when, dt.date.isoformat, money


def _staff(session: Any, clock: Clock, role: Role, organisation_id: int) -> User:
    name = f"generated {role.value}"
    found = session.exec(select(User).where(User.name == name)).first()
    applicant_org = organisation_id if role is Role.applicant else None
    return found or add_user(session, clock, name, role, applicant_org)


def _events(
    case_id: int,
    org: int,
    requested: Decimal,
    granted: Decimal,
    period_start: dt.date,
    period_end: dt.date,
    staff: dict[str, _Staff],
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


def _bulk_insert(
    connection: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Rows straight to the driver: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "sqlite":
        placeholders = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)
        return
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
