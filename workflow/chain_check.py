"""The audit chain's checks made cheap: stored rows checked as plain tuples, exactly as
`audit_chain.verify_chain` checks them, handing any row it cannot pass at once to that check.

Each row is checked by the same rules (hash, canonical form of its encoding version, link to the
one before, no gap, columns that agree with the hashed content), but the canonical form is
tested by decoding and re-encoding with msgspec, several times faster than the standard library.
That shortcut only ever *passes* a row the exact check would pass too; a row it does not pass is
not failed here but handed back, and the exact check (`audit_chain.problem_with`) decides, and
names the problem in its own words. tests/test_chain_check.py holds the reasons the shortcut
agrees with the standard library wherever it passes a row.
"""

from __future__ import annotations

import hashlib
import operator
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from workflow.audit_chain import (
    GENESIS_HASH,
    INDEXED_FIELDS,
    StoredEvent,
    Verification,
    problem_with,
)

# A stored event as the chain is read for checking: a plain tuple of its hash (the 32 bytes), its
# payload (its text, or that text's UTF-8 bytes, which are what the hash covers), and then the
# indexed columns in the order of INDEXED, `at` spelled as the chain spells it (None when the
# database cannot be sure it would read back as that time).
ChainRow = tuple[Any, ...]
# The chain's indexed columns with `at` last: the database spells it, and may give up (None).
INDEXED = (*(name for name in INDEXED_FIELDS if name != "at"), "at")


class _Float(ValueError):
    pass


def _refuse_float(text: str) -> Any:
    # Encoding 2 has no floats; an event of encoding 1 that has one goes to the exact check.
    raise _Float(text)


_decode = msgspec.json.Decoder(float_hook=_refuse_float).decode
_encode = msgspec.json.Encoder(order="sorted").encode
_indexed = operator.itemgetter(*INDEXED)


@dataclass(frozen=True)
class Checked:
    """How far a run of rows got: the rows it passed, the last hash and seq they reach, and the
    index of the first row the shortcut could not pass (None: it passed them all)."""

    passed: int
    prev_hash: str
    prev_seq: int
    stopped_at: int | None


def check_rows(
    rows: Sequence[ChainRow],
    start: int,
    prev_hash: str,
    prev_seq: int,
) -> Checked:
    """Pass rows in order from `start` while each is plainly good; stop at the first that is not."""
    sha256, normalized, indexed = hashlib.sha256, unicodedata.is_normalized, _indexed
    decode, encode = _decode, _encode
    index = start
    for row in rows[start:] if start else rows:
        hash_, payload, seq = row[0], row[1], row[2]
        data = payload if type(payload) is bytes else payload.encode()
        digest = sha256(data).digest()
        if digest != hash_ or seq != prev_seq + 1:
            break
        try:
            body = decode(data)
            # Compared as `verify_chain` compares them, value by value with ==.
            if body["prev_hash"] != prev_hash or indexed(body) != row[2:] or row[-1] is None:
                break
        except (msgspec.DecodeError, _Float, KeyError, TypeError):
            break
        if type(body) is not dict or encode(body) != data:
            break
        version = body.get("encoding", 1)
        if type(version) is not int or version not in (1, 2):
            break  # bool, float, an unknown version: the exact check says which
        # The whole line in NFC means every text in it is (JSON's own characters are ASCII and
        # compose with nothing); the reverse need not hold, so a line that is not in NFC goes to
        # the exact check, which looks at each text.
        if version == 2 and not data.isascii() and not normalized("NFC", data.decode()):
            break
        prev_hash, prev_seq = digest.hex(), seq
        index += 1
    else:
        return Checked(index - start, prev_hash, prev_seq, None)
    return Checked(index - start, prev_hash, prev_seq, index)


def verify_batches(
    batches: Iterable[Sequence[ChainRow]],
    exact: Callable[[int], StoredEvent],
    prev_hash: str = GENESIS_HASH,
    prev_seq: int = 0,
) -> Verification:
    """What `verify_chain` answers for the same events, read as batches of rows in sequence
    order; `exact(seq)` reads one event as `verify_chain` is given it, for the exact check."""
    checked = 0
    for rows in batches:
        start = 0
        while start < len(rows):
            run = check_rows(rows, start, prev_hash, prev_seq)
            checked += run.passed
            prev_hash, prev_seq = run.prev_hash, run.prev_seq
            if run.stopped_at is None:
                break
            event = exact(rows[run.stopped_at][2])
            problem = problem_with(event, prev_hash, prev_seq)
            if problem is not None:
                return Verification(False, checked, prev_seq or None, prev_hash, event.seq, problem)
            prev_hash, prev_seq = event.hash, event.seq
            checked += 1
            start = run.stopped_at + 1
    return Verification(True, checked, prev_seq or None, prev_hash)
