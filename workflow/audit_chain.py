"""The audit log's hash chain: how an event is encoded, hashed and checked (docs/AUDIT.md in prose)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64

# The columns stored beside each payload for querying; verification checks they agree with it.
INDEXED_FIELDS = (
    "seq",
    "at",
    "case_id",
    "kind",
    "transition",
    "from_state",
    "to_state",
    "actor_id",
    "role",
)


def plain(value: Any) -> Any:
    """`value` as JSON-ready data: money as a decimal string, times as UTC ISO 8601 with a Z."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict | Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} has no place in an audit event")


def format_time(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be aware")
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def canonical(payload: Mapping[str, Any]) -> str:
    """The one encoding the hash covers: JSON, keys sorted, no spaces, UTF-8 text as is."""
    # json calls _scalar only for what it cannot encode itself (money, dates): the same result
    # as encoding plain(payload), without walking every string and number in Python first.
    return json.dumps(
        payload,
        default=_scalar,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def hash_of(encoded: str) -> str:
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEvent:
    """An audit row as read back: its columns, its payload text and its hash."""

    seq: int
    hash: str
    payload: str
    columns: Mapping[str, Any]


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(
    events: Iterable[StoredEvent], prev_hash: str = GENESIS_HASH, prev_seq: int = 0
) -> Verification:
    """Check events in sequence order; stop at the first that does not verify and say why."""
    checked = 0
    for event in events:
        problem = _problem_with(event, prev_hash, prev_seq)
        if problem is not None:
            return Verification(False, checked, prev_seq or None, prev_hash, event.seq, problem)
        prev_hash, prev_seq = event.hash, event.seq
        checked += 1
    return Verification(True, checked, prev_seq or None, prev_hash)


def _problem_with(event: StoredEvent, prev_hash: str, prev_seq: int) -> str | None:
    if hash_of(event.payload) != event.hash:
        return "its hash does not match its content"
    try:
        body = json.loads(event.payload)
    except ValueError:
        return "its content is not valid JSON"
    if canonical(body) != event.payload:
        return "its content is not in canonical form"
    if body.get("prev_hash") != prev_hash:
        return "it does not continue the chain (previous hash differs)"
    if event.seq != prev_seq + 1:
        return f"sequence gap: expected {prev_seq + 1}"
    for name in INDEXED_FIELDS:
        if body.get(name) != event.columns.get(name):
            return f"column {name} says {event.columns.get(name)!r}, the hashed content {body.get(name)!r}"
    return None
