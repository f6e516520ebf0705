"""Personal data in the audit log: which fields are personal (states/personal.toml), how a sealed
value looks, and how an event reads once its sealed values are opened or erased."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# What a reader sees where an erased person's data was.
ERASED = "[erased]"

# A sealed value in an event: {"personal": <user id>, "sealed": "<base64 nonce and ciphertext>"}.
OWNER, SEALED = "personal", "sealed"

RULES = Path(__file__).resolve().parent.parent / "states" / "personal.toml"


@dataclass(frozen=True)
class Personal:
    """A text that belongs to person `owner` (a user id): sealed before it enters the chain."""

    owner: int
    text: str


@dataclass(frozen=True)
class PersonalFields:
    actor: frozenset[str]
    inputs: frozenset[str]
    details: frozenset[str]


@cache
def personal_fields(path: Path = RULES) -> PersonalFields:
    with path.open("rb") as f:
        data = tomllib.load(f)
    return PersonalFields(
        actor=frozenset(data.get("actor", [])),
        inputs=frozenset(data.get("inputs", [])),
        details=frozenset(data.get("details", [])),
    )


def mark(values: Mapping[str, Any] | None, names: frozenset[str], owner: int) -> dict[str, Any]:
    """`values` with each text under one of `names` marked as `owner`'s."""
    return {
        k: Personal(owner, v) if k in names and isinstance(v, str) and v else v
        for k, v in (values or {}).items()
    }


def is_sealed(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {OWNER, SEALED}


def owners_in(value: Any, found: set[int] | None = None) -> set[int]:
    """The people whose sealed data `value` (an event body, or part of one) holds."""
    found = set() if found is None else found
    if is_sealed(value):
        found.add(int(value[OWNER]))
    elif isinstance(value, Mapping):
        for v in value.values():
            owners_in(v, found)
    elif isinstance(value, list):
        for v in value:
            owners_in(v, found)
    return found


def transform(value: Any, on_sealed: Callable[[Mapping[str, Any]], Any]) -> Any:
    """`value` with every sealed value replaced by what `on_sealed` makes of it."""
    if is_sealed(value):
        return on_sealed(value)
    if isinstance(value, Mapping):
        return {k: transform(v, on_sealed) for k, v in value.items()}
    if isinstance(value, list):
        return [transform(v, on_sealed) for v in value]
    return value


def seal_all(value: Any, seal: Callable[[Personal], Any]) -> Any:
    """`value` with every `Personal` replaced by its sealed form."""
    if isinstance(value, Personal):
        return seal(value)
    if isinstance(value, Mapping):
        return {k: seal_all(v, seal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [seal_all(v, seal) for v in value]
    return value


def plain_of(value: Any) -> Any:
    """`value` with every `Personal` back to its text: the event as the writer meant it."""
    return seal_all(value, lambda p: p.text)
