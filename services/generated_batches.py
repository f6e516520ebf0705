"""The rows of generated cases, made in bulk: each case as the lifecycle would have made it,
its events chained and hashed exactly as the audit writer does, in each database's own formats."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from services.cases.views import creation_snapshot
from services.schemas import CasePublic, Party
from services.storage.audit_codes import KIND_CODES, ROLE_CODES
from services.storage.audit_encoding import pack
from services.storage.keeping import Deadline
from services.storage.models import AuditEvent, Case, CaseParty, Decision
from services.storage.types import microseconds
from workflow.audit_chain import canonical, event_body, hash_of
from workflow.case import ZERO
from workflow.deadlines import end_of_day
from workflow.lifecycle import load_lifecycle
from workflow.money import Money
from workflow.statuses import DeadlineStatus, DecisionStatus, EventKind

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
GRANTED = STEPS[-1][3]


def _check_path() -> None:
    """The path the generator writes in bulk must be one the lifecycle allows: checked on import,
    so a renamed state or transition fails at once rather than in a benchmark's data."""
    lifecycle = load_lifecycle()
    for _kind, name, source, dest in STEPS:
        lifecycle.state(dest)  # a misspelt state fails here, with the closest one named
        if name is None:
            if dest not in lifecycle.entry_states:
                raise ValueError(f"generated cases enter in {dest}, which is no entry state")
            continue
        spec = lifecycle.transition(name, source or "")
        if spec is None or spec.dest != dest:
            raise ValueError(f"the lifecycle has no transition {name} from {source} to {dest}")


_check_path()
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
        "seq", "at", "case_id", "kind", "transition", "actor_id", "role", "payload", "hash",
    ),
}  # fmt: skip


class Staff(NamedTuple):
    id: int
    name: Any  # sealed under the person's key, as services/audit.py seals a name
    role: str


@dataclass
class Batch:
    cases: int
    rows: dict[Any, list[tuple[Any, ...]]]
    after_seq: int  # the chain's head this batch continues
    seq: int
    hash: str
    at: dt.datetime
    committed: Decimal


@dataclass
class BatchMaker:
    """Rows for the next cases, in the database's own formats, chained on from the last batch."""

    programme: str
    programme_id: int
    currency: str
    zone: Any
    time_zone: str
    orgs: list[int]
    staff: dict[str, Staff]
    sqlite: bool
    rng: random.Random
    now: dt.datetime
    seq: int
    hash: str
    at: dt.datetime
    _cache: dict[str, Any] = field(default_factory=dict)

    def batch(self, first_id: int, size: int) -> Batch:
        rng, staff, rule = self.rng, self.staff, f"{self.programme}#deadlines.period_end"
        when, day, money = self._formats()
        after_seq, seq, prev, at = self.seq, self.seq, self.hash, self.at
        rows: dict[Any, list[tuple[Any, ...]]] = {model: [] for model in COLUMNS}
        committed = ZERO
        created = when(at)
        for case_id in range(first_id, first_id + size):
            org = self.orgs[rng.randrange(len(self.orgs))]
            requested = Money(rng.randrange(100, 5_000) * 1000, self.currency)
            granted = Money(
                Decimal(requested) * Decimal(rng.choice(("0.6", "0.8", "1.0"))), self.currency
            )
            start = (self.now + dt.timedelta(days=rng.randrange(0, 60))).date()
            end = start + dt.timedelta(days=rng.randrange(365, 1095))
            committed += granted
            title = f"Utvecklingsarbete {case_id}"
            rows[Case].append(
                (case_id, self.programme_id, org, title, GRANTED, 4,
                 money(requested), money(granted), money(granted), 0, 0, 0,
                 day(start), day(end), created, created)
            )  # fmt: skip
            rows[CaseParty].append((case_id, org, True))
            rows[Decision].append(
                (case_id, DecisionStatus.confirmed.value, money(granted), day(start), day(end), "",
                 staff["caseworker"].id, created, staff["approver"].id, created)
            )  # fmt: skip
            rows[Deadline].append(
                (case_id, self.programme_id, "period_end", "end_period",
                 when(end_of_day(end, self.zone)), self.time_zone, rule,
                 DeadlineStatus.pending.value, created)
            )  # fmt: skip
            steps = _events(
                case_id, org, requested, granted, start, end, staff, self.programme,
                self.currency, at,
            )  # fmt: skip
            for step in steps:
                seq += 1
                at += dt.timedelta(microseconds=1)
                body = event_body(seq=seq, prev_hash=prev, at=at, **step)
                payload = canonical(body)
                prev = hash_of(payload)
                rows[AuditEvent].append(
                    (seq, when(at), case_id, KIND_CODES[body["kind"]], body["transition"],
                     body["actor_id"], ROLE_CODES[body["role"]], pack(payload),
                     bytes.fromhex(prev))
                )  # fmt: skip
        self.seq, self.hash, self.at = seq, prev, at
        return Batch(size, rows, after_seq, seq, prev, at, committed)

    def _formats(
        self,
    ) -> tuple[Callable[[dt.datetime], Any], Callable[[dt.date], Any], Callable[[Decimal], int]]:
        """How a time, a day and an amount reach the driver, as the column types would send them
        (times in UTC, whole microseconds on SQLite; money in öre); the types' per-value work is
        most of the cost at a million rows."""

        def money(amount: Decimal) -> int:
            return int(amount * 100)

        if not self.sqlite:
            return (lambda at: at), (lambda d: d), money

        return microseconds, dt.date.isoformat, money


def _events(
    case_id: int,
    org: int,
    requested: Money,
    granted: Money,
    period_start: dt.date,
    period_end: dt.date,
    staff: dict[str, Staff],
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
            # The organisation is the lone lead party, which the snapshot leaves the fold to say.
            changes = _snapshot_template(programme, currency, at) | {
                "title": f"Utvecklingsarbete {case_id}",
                "organisation_id": org,
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
