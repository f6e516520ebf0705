"""The audit log's hash chain: how an event is encoded, hashed and checked (docs/AUDIT.md in prose)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from workflow.money import Money
from workflow.personal import Personal

GENESIS_HASH = "0" * 64

# The columns stored beside each payload for querying; verification checks they agree with it.
INDEXED_FIELDS = ("seq", "at", "case_id", "kind", "transition", "actor_id", "role")


# The encoding each event names in its `encoding` key (docs/AUDIT.md). Events of release 0.1 have
# no such key: they are version 1, and verify by the rules they were written under.
ENCODING = 2


def plain(value: Any) -> Any:
    """`value` as JSON-ready data for answers outside the chain: money as a decimal string,
    times as UTC ISO 8601 with a Z."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict | Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, Money):
        return format(value, "f")  # always two decimals: Money is quantised
    if isinstance(value, Decimal):
        raise TypeError(f"the amount {value} is a bare Decimal: parse it as Money first")
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _text(str(value.value))
    raise TypeError(f"{type(value).__name__} has no place in an audit event")


def _text(text: str) -> str:
    # One spelling per text: "å" typed as one character or as "a" and a ring hashes the same.
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _canonical_value(value: Any) -> Any:
    """`value` as the chain encodes it: text in NFC, money as two-decimal strings, times in UTC;
    floats refused, because their text differs between languages and runtimes."""
    if isinstance(value, str):
        return _text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        raise TypeError(f"the float {value!r} has no place in an audit event: use Money or an int")
    if isinstance(value, Mapping):
        return {_text(str(k)): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    return _scalar(value)


def format_time(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be aware")
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def canonical(payload: Mapping[str, Any]) -> str:
    """The one encoding the hash covers (version 2): JSON, keys sorted, no spaces, UTF-8 text as
    is, in NFC; raises TypeError for a float or an amount that is not Money."""
    return _dumps(_canonical_value(payload))


def canonical_v1(payload: Mapping[str, Any]) -> str:
    """How release 0.1 encoded an event: the same JSON, without NFC or the refusal of floats."""
    return _dumps(payload)


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def hash_of(encoded: str) -> str:
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def event_body(
    *,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    kind: str,
    actor_id: int | None,
    actor_name: str | Personal,
    role: str,
    case_id: int | None = None,
    transition: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    case_version: int | None = None,
    inputs: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    reason: str | Personal | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as the chain records it (docs/AUDIT.md, section 2), before it is encoded."""
    return {
        "seq": seq,
        "prev_hash": prev_hash,
        "at": at,
        "encoding": ENCODING,
        "kind": kind,
        "case_id": case_id,
        "transition": transition,
        "from_state": from_state,
        "to_state": to_state,
        "case_version": case_version,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "role": role,
        "inputs": dict(inputs or {}),
        "changes": dict(changes or {}),
        "reason": reason,
        "details": dict(details or {}),
    }


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
        problem = problem_with(event, prev_hash, prev_seq)
        if problem is not None:
            return Verification(False, checked, prev_seq or None, prev_hash, event.seq, problem)
        prev_hash, prev_seq = event.hash, event.seq
        checked += 1
    return Verification(True, checked, prev_seq or None, prev_hash)


def problem_with(event: StoredEvent, prev_hash: str, prev_seq: int) -> str | None:
    """Why `event` does not verify after `prev_hash` and `prev_seq`, or None if it does."""
    if hash_of(event.payload) != event.hash:
        return "its hash does not match its content"
    try:
        body = json.loads(event.payload)
    except ValueError:
        return "its content is not valid JSON"
    if not isinstance(body, dict):
        return "its content is not a JSON object"
    if _reencoded(body) != event.payload:
        return "its content is not in canonical form"
    if body.get("prev_hash") != prev_hash:
        return "it does not continue the chain (previous hash differs)"
    if event.seq != prev_seq + 1:
        return f"sequence gap: expected {prev_seq + 1}"
    for name in INDEXED_FIELDS:
        if body.get(name) != event.columns.get(name):
            return f"column {name} says {event.columns.get(name)!r}, the hashed content {body.get(name)!r}"
    return None


def _reencoded(body: dict[str, Any]) -> str | None:
    """The event encoded again by the rules of the version it names; None if it cannot be."""
    version = body.get("encoding", 1)
    if isinstance(version, bool):
        return None
    try:
        if version == 1:
            return canonical_v1(body)
        if version == ENCODING:
            return canonical(body)
    except (TypeError, ValueError):
        return None
    return None
