"""A case's read model, folded from its audit events: one registry says what each kind of event
does to a case, and the stored row, `as_of` and a programme's snapshot are all made by it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from workflow.statuses import EventKind

ZERO = Decimal("0.00")  # workflow.case's, which imports this module (through the programmes)

# A new case's fields as they stand when its first event leaves them out. Events grantflow 0.2
# writes record only the fields that differ (`compact_snapshot`), and a lone lead party only as
# `organisation_id`; earlier ones record every field, and fold the same (docs/AUDIT.md, 2).
AT_CREATION: dict[str, Any] = {
    "agreement_id": None,
    "assessed_eligible": None,
    "balance_due": ZERO,
    "call": None,
    "certification": None,
    "disbursed_amount": ZERO,
    "eligible_spent": None,
    "granted_amount": ZERO,
    "invited_partners": [],
    "period_end": None,
    "period_start": None,
    "programme_version": None,
    "repaid_amount": ZERO,
    "reported_costs": None,
    "requested_amount": None,
    "target_group_size": None,
    "to_repay": ZERO,
}


def _lone_lead(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"is_lead": True, "organisation_id": snapshot.get("organisation_id")}]


def compact_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A new case's snapshot without what the created event's fold fills in by itself: a field
    at its value in AT_CREATION, and the parties when the organisation is the lone lead."""
    compact = {
        name: value
        for name, value in snapshot.items()
        if name not in AT_CREATION or not _same(value, AT_CREATION[name])
    }
    if compact.get("parties") == _lone_lead(snapshot):
        del compact["parties"]
    return compact


def _same(value: Any, default: Any) -> bool:
    # A type check first: False == 0 and 0 == ZERO, but neither is the other's value.
    if default is None or isinstance(default, list):
        return value == default and type(value) is type(default)
    return isinstance(value, Decimal) and value == default and str(value) == str(default)


def at_creation(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The whole new case from its created event's snapshot, compact or not."""
    return {
        **AT_CREATION,
        "invited_partners": [],  # each case its own list
        "parties": _lone_lead(snapshot),
        **snapshot,
    }


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
        **at_creation(event["changes"]),
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
