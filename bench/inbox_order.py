"""The inbox's first page, newest change first, without and with the indexes of migration 0013,
on one SQLite database in the same run (the indexes dropped, then made again).

    python bench/inbox_order.py [--cases 100000] [--requests 25]

Prints the median of each request after five warm-ups, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
PORT = 8020
HEADERS = {"Authorization": "Bearer demo-caseworker"}
PATHS = [
    "/cases?sort=updated_at&order=desc&limit=50",
    "/cases?sort=updated_at&order=desc&limit=50&state=implementation_granted",
]
BEFORE = [  # as the schema was before 0013
    "CREATE INDEX ix_grant_case_state ON grant_case (state)",
    "DROP INDEX ix_grant_case_updated_at_id",
    "DROP INDEX ix_grant_case_state_updated_at_id",
]
AFTER = [  # as 0013 leaves it
    "CREATE INDEX ix_grant_case_updated_at_id ON grant_case (updated_at, id)",
    "CREATE INDEX ix_grant_case_state_updated_at_id ON grant_case (state, updated_at, id)",
    "DROP INDEX ix_grant_case_state",
]


def run(statements: list[str], database: Path) -> None:
    db = sqlite3.connect(database)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def medians(env: dict[str, str], requests: int) -> Iterator[float]:
    server = subprocess.Popen(
        [BIN / "grantflow", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for path in PATHS:
            times = []
            for _ in range(requests + 5):
                start = time.perf_counter()
                answer = httpx.get(f"http://127.0.0.1:{PORT}{path}", headers=HEADERS, timeout=60)
                times.append(time.perf_counter() - start)
                assert answer.status_code == 200, answer.text
            yield statistics.median(times[5:])
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "GRANTFLOW_DATA_DIR": folder,
            "GRANTFLOW_RUN_SCHEDULER": "false",
            "GRANTFLOW_PORT": str(PORT),
        }
        for step in (
            ["db", "upgrade"],
            ["demo", "load"],
            ["demo", "generate", "--cases", str(args.cases)],
        ):
            subprocess.run([BIN / "grantflow", *step], env=env, check=True, capture_output=True)
        database = Path(folder) / "grantflow.db"
        run(BEFORE, database)
        before = list(medians(env, args.requests))
        run(AFTER, database)
        after = list(medians(env, args.requests))
    for path, b, a in zip(PATHS, before, after, strict=True):
        print(f"{path}: {b * 1000:.1f} ms without, {a * 1000:.1f} ms with: {b / a:.1f}x")


if __name__ == "__main__":
    main()
