"""Reads at size: p95 of a case, its history, a filtered list and the inbox page, and the SQLite file.

    python bench/reads.py [--cases 100000] [--runs 200] [--postgres-url URL]

DESIGN.md's bars at 1 000 000 cases: a case p95 < 10 ms, its history < 20 ms, a filtered list
< 50 ms, the inbox page < 100 ms (signed in as a caseworker); and the issue's, at most 2 GB of
SQLite for the generated million. Each time is printed beside the bare endpoint reading one row,
measured in the same run; the file size per case is scaled to a million.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import baseline_app
from bench.deadlines import drop_databases, fresh_database, generate, service
from bench.transition import server
from services.access import add_user, create_token
from services.container import Services
from workflow.actors import Role

# Each read's bar at 1 000 000 cases, p95 in milliseconds.
BARS_MS = {"case": 10.0, "history": 20.0, "list": 50.0, "inbox": 100.0}
MAX_SQLITE_BYTES_PER_CASE = 2_000_000_000 / 1_000_000
LIST = "/cases?programme=sf-uppsala-nya-vagar&state=implementation_granted&limit=50"
INBOX = "/ui/inbox?programme=sf-uppsala-nya-vagar&state=implementation_granted"

Timing = tuple[float, float]  # median and p95, in ms


def _timed(client: httpx.Client, path_of: Callable[[int], str], runs: int) -> Timing:
    for i in range(5):  # warm
        client.get(path_of(i))
    times = []
    for i in range(runs):
        start = time.perf_counter()
        response = client.get(path_of(i))
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, f"{path_of(i)}: {response.text[:300]}"
    times.sort()
    return statistics.median(times), times[max(0, int(runs * 0.95) - 1)]


def _caseworker_token(cases: Services) -> str:
    with cases.units.writing() as uow:
        user = add_user(uow, cases.clock, f"bench caseworker {time.time_ns()}", Role.caseworker)
        token = create_token(uow, cases.clock, user)
        uow.commit()
    return token


def reads_at_size(
    url: str, cases: Services, large: int, base_url: str, runs: int = 200
) -> dict[str, Timing]:
    """Median and p95 of each read at `large` generated cases, as a caseworker (the API by
    bearer token, the inbox signed in), and of the bare endpoint reading one row."""
    token = _caseworker_token(cases)
    rng = random.Random(11)
    figures: dict[str, Timing] = {}
    baseline_app.prepare(base_url)
    with (
        server("bench.baseline_app:create_app", {"BASELINE_DATABASE_URL": base_url}) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        figures["bare"] = _timed(client, lambda i: f"/counters/{1 + i % 100}", runs)
    env = {"GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_RUN_SCHEDULER": "false"}
    with server("services.api.app:create_app", env) as base:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as api:
            figures["case"] = _timed(api, lambda i: f"/cases/{rng.randrange(1, large)}", runs)
            figures["history"] = _timed(
                api, lambda i: f"/cases/{rng.randrange(1, large)}/history", runs
            )
            figures["list"] = _timed(api, lambda i: LIST, runs)
        with httpx.Client(base_url=base, timeout=60) as browser:
            form = browser.get("/ui/signin").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf is not None, "no sign-in form"
            signed = browser.post(
                "/ui/signin", data={"token": token, "csrf": csrf.group(1), "next": "/ui/inbox"}
            )
            assert signed.status_code in (200, 303), signed.text[:300]
            figures["inbox"] = _timed(browser, lambda i: "/ui/inbox", runs)
            figures["inbox, filtered"] = _timed(browser, lambda i: INBOX, runs)
    return figures


def sqlite_bytes(url: str) -> int | None:
    """The size of a SQLite database's file (after a checkpoint of its journal), or None."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    import sqlite3

    with sqlite3.connect(parsed.database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(parsed.database).stat().st_size


def postgres_bytes(url: str) -> int | None:
    """The size of a PostgreSQL database (tables, indexes and their TOAST), or None."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    ) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else None


def rows(
    figures: dict[str, Timing], large: int, size: int | None, pg_size: int | None = None
) -> list[str]:
    """The figures as rows of the suite's table: measure, figure, baseline, ratio, bar."""
    b50, b95 = figures["bare"]
    names = {
        "case": "GET /cases/{id}",
        "history": "GET /cases/{id}/history",
        "list": "GET /cases filtered by programme and state",
        "inbox": "inbox page (/ui/inbox), caseworker",
        "inbox, filtered": "inbox page filtered by programme and state",
    }
    out = []
    for key, name in names.items():
        m50, m95 = figures[key]
        bar = BARS_MS["inbox" if key.startswith("inbox") else key]
        verdict = "holds" if m95 < bar else "missed"
        out.append(
            f"| {name} | p95 {m95:.1f} ms (median {m50:.1f}) at {large:,} cases | bare one-row read p95 {b95:.1f} ms (median {b50:.1f}) | {m95 / b95:.1f}x | p95 < {bar:.0f} ms at 1 000 000: {verdict} |"
        )
    if size is not None:
        per_case = size / large
        verdict = "holds" if per_case <= MAX_SQLITE_BYTES_PER_CASE else "missed"
        out.append(
            f"| SQLite file | {size / 1e9:.2f} GB at {large:,} cases ({per_case:,.0f} bytes a case) | {MAX_SQLITE_BYTES_PER_CASE:,.0f} bytes a case | {per_case / MAX_SQLITE_BYTES_PER_CASE:.2f}x | at most 2 GB at 1 000 000: {verdict} |"
        )
    if pg_size is not None:
        out.append(
            f"| PostgreSQL database | {pg_size / 1e9:.2f} GB at {large:,} cases ({pg_size / large:,.0f} bytes a case) | - | - | none set (for bench/SCALING.md) |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--database-url", default=None, help="an already generated database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            url = args.database_url or fresh_database(tmp, "reads", args.postgres_url)
            cases = service(url)
            if args.database_url is None:
                made_in = generate(cases, args.cases)
                print(f"generated {args.cases:,} cases in {made_in:.0f} s")
            bare = fresh_database(tmp, "bare", args.postgres_url, migrate=False)
            figures = reads_at_size(url, cases, args.cases, bare, args.runs)
            print("| measure | figure | baseline in this run | ratio | bar |")
            print("|---|---|---|---|---|")
            print("\n".join(rows(figures, args.cases, sqlite_bytes(url))))
        finally:
            drop_databases(args.postgres_url)


if __name__ == "__main__":
    main()
