"""A case's read model, folded from its audit events: one registry says what each kind of event
does to a case, and the stored row, `as_of` and a programme's snapshot are all made by it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from workflow.statuses import EventKind

# What an event sets on the case it is about, as field -> new value.
Fold = Callable[[Mapping[str, Any]], dict[str, Any]]

FOLDS: dict[EventKind, Fold] = {}


def folds(kind: EventKind) -> Callable[[Fold], Fold]:
    def register(fn: Fold) -> Fold:
        FOLDS[kind] = fn
        return fn

    return register


@folds(EventKind.created)
def _created(event: Mapping[str, Any]) -> dict[str, Any]:
    """The whole new case, in the state it entered, with the registry number it was given."""
    number = (event.get("details") or {}).get("registry_number")
    return {
        **event["changes"],
        **({"registry_number": number} if number else {}),
        "state": event["to_state"],
        "version": event["case_version"],
        "created_at": event["at"],
        "updated_at": event["at"],
    }


@folds(EventKind.transition)
def _moved(event: Mapping[str, Any]) -> dict[str, Any]:
    """A move: the new state and version, and the fields its effects changed."""
    return {
        **event["changes"],
        "state": event["to_state"],
        "version": event["case_version"],
        "updated_at": event["at"],
    }


@folds(EventKind.amended)
def _amended(event: Mapping[str, Any]) -> dict[str, Any]:
    """Facts changed in place: the case keeps its state, and counts a new version."""
    return {**event["changes"], "version": event["case_version"], "updated_at": event["at"]}


@folds(EventKind.migrated)
def _migrated(event: Mapping[str, Any]) -> dict[str, Any]:
    """The same place under the lifecycle's new name for it: no move, a new version."""
    return {"state": event["to_state"], "version": event["case_version"], "updated_at": event["at"]}


@folds(EventKind.refusal)
@folds(EventKind.fact)
def _unchanged(event: Mapping[str, Any]) -> dict[str, Any]:
    """A refused attempt or a recorded fact (a file added, a deadline flagged) leaves the case as it was."""
    return {}


def updates(event: Mapping[str, Any]) -> dict[str, Any]:
    """What `event` sets on its case; an event kind no fold knows is an error, not a no-op."""
    return FOLDS[EventKind(event["kind"])](event)


def fold(events: Iterable[Mapping[str, Any]], view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case as its events, in sequence order, leave it."""
    view = {} if view is None else view
    for event in events:
        view.update(updates(event))
    return view
