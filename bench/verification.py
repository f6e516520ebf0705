"""Audit verification at size: the service's check of the whole chain against reading and hashing
the same rows the same way, in the same parts, one a core (services/auditing/parts.py).

    python bench/verification.py [--cases 100000] [--postgres-url URL]

The issue's bar: at least 200 000 events per second, and at most 1.5x the cost of the floor
(reading the rows as plain tuples in batches, in sequence order, and hashing each payload). The
floor is spread over the same processes as the check, so the ratio says what the checking itself
costs; the check in one process is printed beside them, to show what the parts bring.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.deadlines import drop_databases, fresh_database, generate, service
from services import audit
from services.auditing.parts import Part, parts_of
from services.container import Services
from services.storage.db import Database
from services.storage.unit_of_work import UnitsOfWork
from workflow.chain_check import verify_batches

EVENTS_PER_SECOND = 200_000
MOST_FLOOR_RATIO = 1.5
BATCH = 20_000


@dataclass(frozen=True)
class Verified:
    checked: int
    rate: float  # events a second, the chain checked as the service checks it
    floor: float  # events a second, the same rows read and hashed in the same parts
    one_process: float  # events a second, the chain checked in one process
    parts: int

    @property
    def holds(self) -> bool:
        return self.rate >= EVENTS_PER_SECOND and self.floor / self.rate <= MOST_FLOOR_RATIO

    def row(self) -> str:
        return (
            f"| audit verification | {self.rate:,.0f} events per second over {self.checked:,}"
            f" events, in {self.parts} parts ({self.one_process:,.0f} in one process)"
            f" | {self.floor:,.0f} per second reading the same rows and hashing alone, in the same"
            f" parts | {self.floor / self.rate:.2f}x the cost"
            f" | >= 200 000/s and at most 1.5x: {'holds' if self.holds else 'missed'} |"
        )


def read_and_hash(url: str, part: Part) -> int:
    """In a process of its own: the part's rows read as the check reads them, each hashed."""
    units = UnitsOfWork(Database(url))
    try:
        with units.reading() as uow:
            hashed = 0
            for rows in uow.chain.rows(BATCH, after=part.after, upto=part.upto):
                hashed += sum(1 for row in rows if hashlib.sha256(_utf8(row[1])).digest())
            return hashed
    finally:
        units.dispose()


def _utf8(payload: bytes | str) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode()


def measure(cases: Services) -> Verified:
    with cases.units.reading() as uow:
        head = uow.audit.head()
        parts = parts_of(head.seq if head else 0)
        url = uow.shared_url
    assert url is not None
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        hashed = sum(pool.map(read_and_hash, [url] * len(parts), parts))
    floor = hashed / (time.perf_counter() - start)
    with cases.units.reading() as uow:
        start = time.perf_counter()
        result = audit.verify(uow, BATCH)
        rate = result.checked / (time.perf_counter() - start)
    assert result.ok, result.problem
    with cases.units.reading() as uow:
        start = time.perf_counter()
        alone = verify_batches(uow.chain.rows(BATCH), uow.chain.event)
        one_process = alone.checked / (time.perf_counter() - start)
    return Verified(result.checked, rate, floor, one_process, len(parts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = service(fresh_database(tmp, "verification", args.postgres_url))
        generate(cases, args.cases)
        try:
            print(measure(cases).row())
        finally:
            cases.units.dispose()
            drop_databases(args.postgres_url)


if __name__ == "__main__":
    main()
