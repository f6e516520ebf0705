"""A new version of a programme's rules, planned before it is applied: which rules change, which
pending deadlines move from when to when, which rounds are touched; then applied exactly as
planned, in one transaction, with the diff and every move in the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services import audit
from services.errors import Conflict, InvalidRequest, NotFound
from services.policy import require
from services.programmes import ProgrammeRegistry
from services.storage.keeping import Deadline
from services.storage.models import Case, ProgrammeVersion
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.audit_chain import format_time
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.deadlines import rule_due
from workflow.programme_diff import RuleChange, rule_changes
from workflow.programmes import ProgrammeConfig, ProgrammeFile
from workflow.statuses import EventKind


@dataclass(frozen=True)
class DeadlineMove:
    deadline_id: int
    case_id: int | None
    kind: str
    was: dt.datetime
    to: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadline_id": self.deadline_id,
            "case_id": self.case_id,
            "kind": self.kind,
            "was": format_time(self.was),
            "to": format_time(self.to),
        }


@dataclass(frozen=True)
class ProgrammePlan:
    """What applying a file would do; its hash names exactly these moves from this version."""

    programme: str
    from_version: int
    sha256: str
    rules: list[RuleChange]
    moves: list[DeadlineMove]
    # Deadlines the new rule would move but a person already moved (an extension, an
    # incident's answer): they keep the time the person chose.
    kept: list[DeadlineMove] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)

    @property
    def hash(self) -> str:
        basis = {
            "programme": self.programme,
            "from_version": self.from_version,
            "sha256": self.sha256,
            "moves": [m.as_dict() for m in self.moves],
        }
        canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "from_version": self.from_version,
            "to_version": self.from_version + 1,
            "sha256": self.sha256,
            "rules": [{"key": r.key, "was": r.was, "now": r.now} for r in self.rules],
            "rounds": self.rounds,
            "moves": [m.as_dict() for m in self.moves],
            "kept": [m.as_dict() for m in self.kept],
            "plan": self.hash,
        }


class ProgrammeChanges:
    def __init__(self, catalogue: Catalogue, programmes: ProgrammeRegistry, clock: Clock) -> None:
        self.catalogue = catalogue
        self.programmes = programmes
        self.clock = clock

    def read(self, path: Path) -> ProgrammeFile:
        """The file, checked as the loader checks every programme file."""
        return self.catalogue.parse(path, path.read_bytes())

    def parse(self, name: str, content: str) -> ProgrammeFile:
        """A file's content sent rather than read (a proposal through the API), checked alike."""
        return self.catalogue.parse(Path(name), content.encode("utf-8"))

    def plan(self, uow: UnitOfWork, new: ProgrammeFile, *, lock: bool = False) -> ProgrammePlan:
        """What applying `new` would do; changes nothing."""
        code = new.programme.code
        programme_id = self.programmes.id_of(code)
        kept = uow.programmes.versions(programme_id) if programme_id >= 0 else []
        if not kept:
            raise NotFound(
                f"no programme {code!r} is registered: a new programme's file goes in the "
                "programmes folder, and is registered when grantflow starts"
            )
        current = kept[-1]
        old = self._parse(current).programme
        moves: list[DeadlineMove] = []
        by_person: list[DeadlineMove] = []
        cases: dict[int, Case | None] = {}
        for deadline in uow.deadlines.pending_of_programme(programme_id, lock=lock):
            case = None
            if deadline.case_id is not None:
                if deadline.case_id not in cases:
                    cases[deadline.case_id] = uow.cases.get(deadline.case_id)
                case = cases[deadline.case_id]
            was = rule_due(old, deadline.kind, _anchors(old, deadline, case))
            now = rule_due(new.programme, deadline.kind, _anchors(new.programme, deadline, case))
            if was is None or now is None or was == now:
                continue
            assert deadline.id is not None
            move = DeadlineMove(deadline.id, deadline.case_id, deadline.kind, deadline.due_at, now)
            (moves if deadline.due_at == was else by_person).append(move)
        rules = rule_changes(current.content, new.content)
        rounds = sorted(
            {
                c.code
                for c in new.programme.calls
                if any(r.key.startswith(f"calls[{c.code}]") for r in rules)
            }
        )
        return ProgrammePlan(code, current.version, new.sha256, rules, moves, by_person, rounds)

    def apply(
        self,
        uow: UnitOfWork,
        actor: Actor,
        new: ProgrammeFile,
        reason: str,
        expected_plan: str | None = None,
    ) -> ProgrammePlan:
        """Carry out the plan in this unit of work; refuse if it is not the plan expected."""
        require(actor, Action.programmes_change)
        if len(reason.strip()) < 3:
            raise InvalidRequest("say why the rules change (--reason)", field="reason")
        uow.programmes.lock_registration()
        plan = self.plan(uow, new, lock=True)
        if expected_plan is not None and plan.hash != expected_plan:
            raise Conflict(
                f"the plan changed since it was made ({expected_plan[:12]} is now "
                f"{plan.hash[:12]}): plan again and check what moves"
            )
        if not plan.rules:
            raise InvalidRequest(f"nothing changes: version {plan.from_version} has these rules")
        now = self.clock.now()
        number = plan.from_version + 1
        programme_id = self.programmes.id_of(plan.programme)
        uow.programmes.add_version(
            ProgrammeVersion(
                programme_id=programme_id,
                version=number,
                sha256=new.sha256,
                content=new.content,
                effective_from=now,
                registered_at=now,
                registered_by=actor.name,
                reason=reason,
            )
        )
        row = uow.programmes.by_code(plan.programme)
        assert row is not None
        row.config_sha256, row.loaded_at = new.sha256, now  # a restart finds it registered
        uow.programmes.save(row)
        for move in plan.moves:
            deadline = uow.deadlines.get(move.deadline_id)
            assert deadline is not None
            deadline.due_at, deadline.programme_version = move.to, number
            uow.deadlines.save(deadline)
        self._record(uow, actor, plan, number, reason, now)
        return plan

    def retire(self, uow: UnitOfWork, actor: Actor, code: str, reason: str) -> dt.datetime:
        """From now on the programme takes no new cases; its running cases finish under the
        rules they have, and once retired its file may go (the kept version runs on)."""
        require(actor, Action.programmes_change)
        if len(reason.strip()) < 3:
            raise InvalidRequest("say why the programme is retired (--reason)", field="reason")
        row = uow.programmes.by_code(code)
        if row is None:
            raise NotFound(f"no programme {code!r}")
        if row.retired_at is not None:
            raise Conflict(f"{code} was retired on {format_time(row.retired_at)}")
        now = self.clock.now()
        row.retired_at, row.retired_reason = now, reason.strip()
        uow.programmes.save(row)
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="programme_retired",
            reason=reason.strip(),
            details={"programme": code},
        )
        return now

    def _parse(self, kept: ProgrammeVersion) -> ProgrammeFile:
        return self.catalogue.parse(Path(f"version {kept.version}"), kept.content.encode("utf-8"))

    def _record(
        self,
        uow: UnitOfWork,
        actor: Actor,
        plan: ProgrammePlan,
        number: int,
        reason: str,
        now: dt.datetime,
    ) -> None:
        """The version, its diff and every move; and in each moved case's history, its own."""
        summary = {k: v for k, v in plan.as_dict().items() if k not in ("moves", "kept")}
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="programme_version_applied",
            reason=reason,
            details={
                **summary,
                "moved": len(plan.moves),
                "kept": [m.deadline_id for m in plan.kept],
            },
        )
        by_case: dict[int | None, list[DeadlineMove]] = {}
        for move in plan.moves:
            by_case.setdefault(move.case_id, []).append(move)
        for case_id, moves in by_case.items():
            audit.record(
                uow,
                kind=EventKind.fact,
                actor=actor,
                now=now,
                case_id=case_id,
                transition="deadline_moved",
                reason=reason,
                details={
                    "programme": plan.programme,
                    "programme_version": number,
                    "deadlines": [m.as_dict() for m in moves],
                },
            )


def _anchors(programme: ProgrammeConfig, deadline: Deadline, case: Case | None) -> dict[str, Any]:
    """What the deadline's rule was computed from when it was set: its case's period and call,
    and the time it was set (a rule's `now`)."""
    call = programme.call(case.call_code if case is not None else deadline.call_code)
    return {
        "now": deadline.created_at,
        "period_end": case.period_end if case is not None else None,
        "call.application_deadline": call.application_deadline if call else None,
        "call.decision_expected_by": call.decision_expected_by if call else None,
    }
