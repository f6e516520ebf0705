"""How recorded cases follow the lifecycle when its definition changes version: a map from the
old names of states and transitions to the new, declared beside the lifecycle in states/."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.lifecycle import Lifecycle


@dataclass(frozen=True)
class LifecycleMigration:
    """One step from a version of the lifecycle to the next: what each renamed state and
    transition is called now. A state not named keeps its name."""

    lifecycle: str
    from_version: int
    to_version: int
    states: Mapping[str, str] = field(default_factory=dict)
    transitions: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""

    def problems(self, new: Lifecycle) -> list[str]:
        """What makes this step unusable with `new`: a target it does not have, a wrong version."""
        found = []
        if new.version != self.to_version:
            found.append(
                f"the migration leads to version {self.to_version}, the lifecycle is {new.version}"
            )
        found += [
            f"states.{old}: {target!r} is not a state of the lifecycle"
            for old, target in self.states.items()
            if target not in new.states
        ]
        names = set(new.transition_names())
        found += [
            f"transitions.{old}: {target!r} is not a transition of the lifecycle"
            for old, target in self.transitions.items()
            if target not in names
        ]
        return found


def parse_migrations(raw: Mapping[str, Any]) -> list[LifecycleMigration]:
    """The steps as written in states/lifecycle_migrations.toml, oldest first."""
    steps = [
        LifecycleMigration(
            lifecycle=str(step["lifecycle"]),
            from_version=int(step["from_version"]),
            to_version=int(step["to_version"]),
            states=dict(step.get("states", {})),
            transitions=dict(step.get("transitions", {})),
            reason=str(step.get("reason", "")),
        )
        for step in raw.get("migrations", [])
    ]
    return sorted(steps, key=lambda s: s.from_version)


@dataclass(frozen=True)
class Renames:
    """Every step composed: an old name, from any earlier version, to its name now."""

    states: Mapping[str, str]
    transitions: Mapping[str, str]

    @classmethod
    def of(cls, steps: Iterable[LifecycleMigration]) -> Renames:
        states: dict[str, str] = {}
        transitions: dict[str, str] = {}
        for step in steps:  # oldest first: a name renamed twice ends at its latest name
            states = {old: step.states.get(new, new) for old, new in states.items()}
            transitions = {old: step.transitions.get(new, new) for old, new in transitions.items()}
            states |= {old: new for old, new in step.states.items() if old not in states}
            transitions |= {
                old: new for old, new in step.transitions.items() if old not in transitions
            }
        return cls(states, transitions)

    def state(self, name: str) -> str:
        return self.states.get(name, name)

    def transition(self, name: str) -> str:
        return self.transitions.get(name, name)
