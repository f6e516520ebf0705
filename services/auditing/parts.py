"""Checking a long audit chain on every core: ranges of it checked side by side, then stitched.

A chain of ten years is millions of events, and checking one is Python work (a hash, a decode, a
re-encode): on one core an auditor waits for all of it. Here each core takes a range of `seq`,
reads it on a connection of its own, and checks it from the hash stored just before the range.
The ranges are then taken in order, and one counts only if it starts where the one before ended,
from the hash that one verified, and reaches its own end. The first that does not is checked
again, one process, from the last point verified; from there on it is the plain sequential check,
so the answer (the first bad event, its problem, how many passed) is the one a single pass gives.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from services.storage.db import Database
from services.storage.unit_of_work import UnitOfWork, UnitsOfWork
from workflow.audit_chain import GENESIS_HASH, Verification
from workflow.chain_check import verify_batches

# Fewer events than this a part, and starting a process (importing the service) costs more
# than the part saves.
MIN_PART = 250_000
MOST_PARTS = 8


@dataclass(frozen=True)
class Part:
    """Events with `after` < seq <= `upto` (None: to the end of the chain)."""

    after: int
    upto: int | None


def parts_of(last_seq: int, min_part: int = MIN_PART, cores: int | None = None) -> list[Part]:
    """The chain up to `last_seq` cut into as many even parts as there are cores to check them
    (each at least `min_part` events); the last part runs on to the chain's end."""
    available = cores if cores is not None else len(os.sched_getaffinity(0))
    count = max(1, min(available, MOST_PARTS, last_seq // max(1, min_part)))
    bounds = [last_seq * i // count for i in range(count)]
    return [Part(after, bounds[i + 1] if i + 1 < count else None) for i, after in enumerate(bounds)]


def check_part(url: str, part: Part, batch: int) -> tuple[str | None, Verification]:
    """In a process of its own: the hash stored at `part.after` (None: there is no such event)
    and how far the part verifies from it."""
    units = UnitsOfWork(Database(url))
    try:
        with units.reading() as uow:
            start = GENESIS_HASH if part.after == 0 else uow.chain.hash_at(part.after)
            if start is None:
                return None, Verification(False, 0, None, "")
            rows = uow.chain.rows(batch, after=part.after, upto=part.upto)
            return start, verify_batches(rows, uow.chain.event, start, part.after)
    finally:
        units.dispose()


def verify_in_parts(uow: UnitOfWork, parts: list[Part], batch: int) -> Verification:
    """What one sequential pass over the chain answers, the parts checked on separate cores."""
    url = uow.shared_url
    assert url is not None, "only a database another process can open is checked in parts"
    context = multiprocessing.get_context("spawn")  # no forking a process with threads and pools
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        results = list(pool.map(check_part, [url] * len(parts), parts, [batch] * len(parts)))
    prev_hash, prev_seq, checked = GENESIS_HASH, 0, 0
    for part, (start, result) in zip(parts, results, strict=True):
        continues = part.after == prev_seq and start == prev_hash
        reaches = part.upto is None or result.head_seq == part.upto
        if not (continues and result.ok and reaches):
            rest = verify_batches(
                uow.chain.rows(batch, after=prev_seq), uow.chain.event, prev_hash, prev_seq
            )
            return replace(rest, checked=checked + rest.checked)
        prev_hash, prev_seq = result.head_hash, result.head_seq or prev_seq
        checked += result.checked
    return Verification(True, checked, prev_seq or None, prev_hash)
