"""The cheap check of the audit chain answers exactly what the plain one does, for any event."""

from __future__ import annotations

import json
import sys

import msgspec
import pytest

from workflow.audit_chain import (
    GENESIS_HASH,
    INDEXED_FIELDS,
    StoredEvent,
    Verification,
    canonical,
    canonical_v1,
    hash_of,
    verify_chain,
)
from workflow.chain_check import INDEXED, verify_batches


def test_its_encoder_writes_every_character_as_the_standard_library_does() -> None:
    """Why a re-encoding by msgspec that gives back the line means the standard library's
    would too: the two agree on every text (and on integers, true, false and null)."""
    differ = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue  # a lone surrogate is no UTF-8 text: neither can write one
        text = chr(code)
        if msgspec.json.encode(text) != json.dumps(text, ensure_ascii=False).encode():
            differ.append(hex(code))
    assert differ == []
    value = {"b": [True, False, None, -12, 10**30], "a": {"ü": "x"}, "A": ""}
    assert msgspec.json.encode(value, order="sorted").decode() == canonical_v1(value)


def chain(bodies: list[dict]) -> list[StoredEvent]:
    events, prev = [], GENESIS_HASH
    for seq, body in enumerate(bodies, 1):
        body = {"seq": seq, "prev_hash": prev, **body}
        payload = canonical_v1(body) if body.get("encoding", 1) == 1 else canonical(body)
        columns = {name: body.get(name) for name in INDEXED_FIELDS}
        prev = hash_of(payload)
        events.append(StoredEvent(seq=seq, hash=prev, payload=payload, columns=columns))
    return events


def both(events: list[StoredEvent]) -> tuple[Verification, Verification]:
    """The plain check's answer and the cheap one's, which must agree; the cheap one is given
    every other payload as UTF-8 bytes, as the database hands over payloads it unpacked."""
    rows = [
        (
            bytes.fromhex(e.hash),
            e.payload.encode() if i % 2 else e.payload,
            e.seq,
            *(e.columns.get(n) for n in INDEXED),
        )
        for i, e in enumerate(events)
    ]
    by_seq = {e.seq: e for e in events}
    batches = [rows[i : i + 2] for i in range(0, len(rows), 2)]
    plain, cheap = verify_chain(events), verify_batches(batches, by_seq.__getitem__)
    assert cheap == verify_batches(
        [[(*row[:1], as_text(row[1]), *row[2:]) for row in rows]], by_seq.__getitem__
    )
    return plain, cheap


def as_text(payload: str | bytes) -> str:
    return payload.decode() if isinstance(payload, bytes) else payload


def body(**changes: object) -> dict:
    return {
        "at": "2026-01-05T10:00:00.000000Z",
        "encoding": 2,
        "kind": "transition",
        "case_id": 7,
        "transition": "invite",
        "from_state": "a",
        "to_state": "b",
        "actor_id": 3,
        "role": "caseworker",
        "inputs": {"name": "Västerås"},
        **changes,
    }


def rehashed(event: StoredEvent, payload: str, **columns: object) -> StoredEvent:
    return StoredEvent(event.seq, hash_of(payload), payload, {**event.columns, **columns})


TAMPERINGS = {
    "content changed, hash kept": lambda e: StoredEvent(
        e.seq, e.hash, e.payload.replace("invite", "decline"), e.columns
    ),
    "not canonical: a space": lambda e: rehashed(e, e.payload.replace(",", ", ", 1)),
    "not canonical: keys unsorted": lambda e: rehashed(
        e,
        json.dumps(
            dict(reversed(json.loads(e.payload).items())), ensure_ascii=False, separators=(",", ":")
        ),
    ),
    "not canonical: escaped non-ASCII": lambda e: rehashed(e, e.payload.replace("ä", "\\u00e4")),
    "text not in NFC": lambda e: rehashed(e, e.payload.replace("ä", "a\u0308")),
    "a float in encoding 2": lambda e: rehashed(
        e, e.payload.replace('"case_id":7', '"case_id":7.5')
    ),
    "an unknown encoding": lambda e: rehashed(e, e.payload.replace('"encoding":2', '"encoding":3')),
    "a boolean encoding": lambda e: rehashed(
        e, e.payload.replace('"encoding":2', '"encoding":true')
    ),
    "not JSON": lambda e: rehashed(e, e.payload[:-1]),
    "not an object": lambda e: rehashed(e, "[1,2]"),
    "a column says otherwise": lambda e: StoredEvent(
        e.seq, e.hash, e.payload, {**e.columns, "kind": "fact"}
    ),
    "the time column says otherwise": lambda e: StoredEvent(
        e.seq, e.hash, e.payload, {**e.columns, "at": "2026-01-05T10:00:00.000001Z"}
    ),
    "a time the database cannot vouch for": lambda e: StoredEvent(
        e.seq, e.hash, e.payload, {**e.columns, "at": None}
    ),
    "a gap in the sequence": lambda e: StoredEvent(e.seq + 100, e.hash, e.payload, e.columns),
    "prev_hash differs": lambda e: rehashed(
        e, e.payload.replace('"prev_hash":"', '"prev_hash":"f', 1)
    ),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
@pytest.mark.parametrize("where", [0, 2, 4])
def test_every_tampering_is_named_as_the_plain_check_names_it(tampering: str, where: int) -> None:
    events = chain([body(case_version=n) for n in range(5)])
    events[where] = TAMPERINGS[tampering](events[where])
    plain, cheap = both(events)
    assert plain.ok is False
    assert cheap == plain


def test_events_the_shortcut_cannot_pass_still_verify_when_they_are_good() -> None:
    """Encoding 1 wrote floats and had no NFC rule; text out of NFC only after an escape is NFC
    itself (the line is not); a huge integer; all are good, and pass the exact check."""
    events = chain(
        [
            {"kind": "fact", "details": {"late_by_seconds": 1.25}, "at": "x"},
            {"kind": "fact", "reason": "a\u0308", "at": "x"},
            body(reason="\n\u0301"),
            body(details={"big": 10**40}),
            body(),
        ]
    )
    plain, cheap = both(events)
    assert plain.ok is True and plain.checked == 5
    assert cheap == plain
