"""Recorded histories against the current definitions: does every case's way through the
lifecycle, as the audit log recorded it, still fit the lifecycle in states/? A change that
would orphan a recorded state or transition is named at the first event it breaks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.lifecycle import Lifecycle
from workflow.lifecycle_migration import Renames


@dataclass(frozen=True)
class Misfit:
    """The first recorded event the lifecycle no longer explains."""

    seq: int
    case_id: int | None
    problem: str


@dataclass(frozen=True)
class Replayed:
    events: int
    cases: int
    misfit: Misfit | None

    @property
    def ok(self) -> bool:
        return self.misfit is None


def replay(
    lifecycle: Lifecycle, events: Iterable[Mapping[str, Any]], renames: Renames | None = None
) -> Replayed:
    """Walk the events in sequence order, case by case; stop at the first that does not fit.
    Names recorded under an earlier version of the lifecycle are read through `renames`."""
    renames = renames or Renames({}, {})
    states: dict[int, str] = {}
    count = 0
    for event in events:
        count += 1
        problem = _misfit(lifecycle, _read_now(event, renames), states)
        if problem is not None:
            return Replayed(count, len(states), Misfit(event["seq"], event.get("case_id"), problem))
    return Replayed(count, len(states), None)


def _read_now(event: Mapping[str, Any], renames: Renames) -> Mapping[str, Any]:
    """The event with its states and transition called what the lifecycle calls them now."""
    if event.get("kind") not in ("created", "transition", "migrated"):
        return event
    return {
        **event,
        "from_state": renames.state(event["from_state"]) if event.get("from_state") else None,
        "to_state": renames.state(event["to_state"]) if event.get("to_state") else None,
        "transition": renames.transition(event["transition"]) if event.get("transition") else None,
    }


def _misfit(lifecycle: Lifecycle, event: Mapping[str, Any], states: dict[int, str]) -> str | None:
    kind, case_id = event.get("kind"), int(event.get("case_id") or 0)
    if kind == "created":
        to = event.get("to_state")
        if to not in lifecycle.states:
            return f"case {case_id} was created in state {to!r}, which the lifecycle no longer has"
        if to not in lifecycle.entry_states:
            return f"case {case_id} was created in {to!r}, which is no longer an entry state"
        states[case_id] = to
        return None
    if kind == "migrated":
        to = event.get("to_state")
        if to not in lifecycle.states:
            return f"case {case_id} was migrated to {to!r}, which the lifecycle no longer has"
        states[case_id] = str(to)
        return None
    if kind != "transition":
        return None  # facts, amendments and refusals move no case
    name, source, dest = event.get("transition"), event.get("from_state"), event.get("to_state")
    for state in (source, dest):
        if state not in lifecycle.states:
            return (
                f"case {case_id} went {source!r} -> {dest!r} by {name!r}, and the lifecycle no "
                f"longer has state {state!r}"
            )
    spec = lifecycle.transition(str(name), str(source))
    if spec is None:
        return f"case {case_id}: the lifecycle no longer has transition {name!r} from {source!r}"
    if spec.dest != dest:
        return (
            f"case {case_id}: {name!r} from {source!r} was recorded to {dest!r}, the lifecycle "
            f"now leads to {spec.dest!r}"
        )
    if case_id in states and states[case_id] != source:
        return (
            f"case {case_id} was in {states[case_id]!r} by its history, but {name!r} is recorded "
            f"from {source!r}"
        )
    states[case_id] = dest
    return None
