"""Running cases follow a new version of the lifecycle: planned (which cases move from which old
state to which new one, and any a state no version explains would orphan), then applied in one
transaction, each moved case with a `migrated` event in its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services import audit
from services.errors import Conflict, InvalidRequest
from services.policy import require
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.clock import Clock
from workflow.lifecycle import Lifecycle
from workflow.lifecycle_migration import LifecycleMigration, Renames
from workflow.read_model import updates
from workflow.statuses import EventKind


@dataclass(frozen=True)
class CaseMigration:
    case_id: int
    was: str
    now: str


@dataclass(frozen=True)
class LifecyclePlan:
    lifecycle: str
    version: int
    moves: list[CaseMigration]
    # States cases are in that neither the lifecycle nor any migration knows, with how many.
    orphaned: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        by_state: dict[str, dict[str, Any]] = {}
        for move in self.moves:
            entry = by_state.setdefault(move.was, {"to": move.now, "cases": []})
            entry["cases"].append(move.case_id)
        return {
            "lifecycle": self.lifecycle,
            "version": self.version,
            "moves": by_state,
            "orphaned": self.orphaned,
        }


class LifecycleChanges:
    def __init__(
        self, lifecycle: Lifecycle, migrations: Sequence[LifecycleMigration], clock: Clock
    ) -> None:
        self.lifecycle = lifecycle
        self.migrations = [m for m in migrations if m.lifecycle == lifecycle.name]
        self.clock = clock

    @property
    def renames(self) -> Renames:
        return Renames.of(self.migrations)

    def plan(self, uow: UnitOfWork) -> LifecyclePlan:
        """Which cases are in a state the lifecycle no longer has, and where each goes."""
        renames = self.renames
        moves: list[CaseMigration] = []
        orphaned: dict[str, int] = {}
        for state, count in sorted(uow.lifecycle.states_in_use().items()):
            if state in self.lifecycle.states:
                continue
            target = renames.state(state)
            if target not in self.lifecycle.states:
                orphaned[state] = count
                continue
            moves += [CaseMigration(i, state, target) for i in uow.lifecycle.ids_in_state(state)]
        return LifecyclePlan(self.lifecycle.name, self.lifecycle.version, moves, orphaned)

    def apply(self, uow: UnitOfWork, actor: Actor, reason: str) -> LifecyclePlan:
        """Move every case the plan names, or none: a case no migration explains stops it."""
        require(actor, Action.lifecycle_migrate)
        if len(reason.strip()) < 3:
            raise InvalidRequest("say why the lifecycle changes (--reason)", field="reason")
        for step in self.migrations:
            if step.to_version == self.lifecycle.version and (
                found := step.problems(self.lifecycle)
            ):
                raise InvalidRequest(
                    f"the migration to version {step.to_version}: {'; '.join(found)}"
                )
        plan = self.plan(uow)
        if plan.orphaned:
            raise Conflict(
                f"cases are in states no version of the lifecycle explains: {plan.orphaned}; "
                "map them in states/lifecycle_migrations.toml"
            )
        if not plan.moves:
            raise InvalidRequest("every case is in a state of the lifecycle: nothing to migrate")
        now = self.clock.now()
        for move in plan.moves:
            case = uow.cases.get(move.case_id, lock=True)
            assert case is not None and case.id is not None
            event = audit.record(
                uow,
                kind=EventKind.migrated,
                actor=actor,
                now=now,
                case_id=case.id,
                transition="lifecycle_migrated",
                from_state=move.was,
                to_state=move.now,
                case_version=case.version + 1,
                reason=reason,
                details={"lifecycle": plan.lifecycle, "version": plan.version},
            )
            uow.cases.apply(case, updates(event.body))
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            transition="lifecycle_version_applied",
            reason=reason,
            details={**plan.as_dict(), "moved": len(plan.moves)},
        )
        return plan
