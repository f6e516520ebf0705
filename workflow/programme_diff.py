"""What changed between two versions of a programme file: each rule by its key, and the text."""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuleChange:
    """One rule that differs: `was` is None where it was added, `now` where it was removed."""

    key: str
    was: Any
    now: Any


def rule_changes(old: str, new: str) -> list[RuleChange]:
    """The rules two programme files differ in, keyed as a reader finds them in the file:
    `deadlines.final_report.months`, `calls[2017].application_deadline`."""
    before, after = _flatten(tomllib.loads(old)), _flatten(tomllib.loads(new))
    return [
        RuleChange(key, before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def text_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """The files' lines as a unified diff, for those who read the file itself."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(lines)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found |= _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        found = {}
        for index, item in enumerate(value):
            name = item.get("code", index)  # calls and the like are known by their code
            found |= _flatten(item, f"{prefix}[{name}]")
        return found
    if isinstance(value, list):
        return {prefix: [_plain(v) for v in value]}
    return {prefix: _plain(value)}


def _plain(value: Any) -> Any:
    """TOML's dates and times as the file writes them, so a change reads as it was typed."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value
