"""All the performance bars, on SQLite and on PostgreSQL, written to bench/RESULTS.md (make bench).

    python bench/suite.py [--large 1000000] [--fire 10000] [--postgres-url URL] [--only sqlite|postgresql]

Every figure is measured in this run and, where DESIGN.md sets a bar, printed as a ratio to a
baseline measured in the same run on the same machine:

- transitions per second over HTTP, one worker and two, against a bare FastAPI + SQLModel endpoint
  that updates one row and inserts one row (bar: at most 3x its cost);
- a deadline sweep with nothing due at 1 000 and at LARGE open cases (bar: the same order), the
  rate of firing FIRE due deadlines, and a scheduler's memory at 0 and at LARGE pending deadlines;
- audit verification over 1 000 000 events;
- p95 of GET /cases/{id}/history and of a filtered case list at LARGE cases.

LARGE cases are generated once per database (with 4 events each) and serve every measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.deadlines import (
    firing_rate,
    fresh_database,
    generate,
    idle_sweep_ms,
    scheduler_rss_mb,
    service,
)
from bench.transition import one_run, server
from services.access import add_user, create_token
from services.audit import _all_events
from workflow.actors import Role
from workflow.audit_chain import verify_chain

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines.append(text)


def transitions(
    tmp: str, pg: str | None, requests: int, repeats: int = 3
) -> list[tuple[int, int, float, float]]:
    """Each configuration `repeats` times, baseline and grantflow side by side each time; the run
    with the median ratio is reported (a shared machine's noise moves both, but not always alike)."""
    rows = []
    for workers, clients in ((1, 1), (1, 4), (2, 4)):
        runs = []
        for attempt in range(repeats):
            gf = fresh_database(tmp, f"tr{workers}{clients}{attempt}", pg)
            base = fresh_database(tmp, f"base{workers}{clients}{attempt}", pg, migrate=False)
            _, baseline, grantflow = one_run(requests, clients, gf, base, workers=workers)
            runs.append((baseline / grantflow, baseline, grantflow))
        _, baseline, grantflow = sorted(runs)[len(runs) // 2]
        rows.append((workers, clients, baseline, grantflow))
    return rows


def verification_rate(cases, events: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    with cases.db.reading() as session:
        stream = _all_events(session, 5000)
        limited = (e for e, _ in zip(stream, range(events), strict=False))
        start = time.perf_counter()
        result = verify_chain(limited)
        elapsed = time.perf_counter() - start
    assert result.ok, result.problem
    return result.checked, result.checked / elapsed


def p95_reads(url: str, cases, large: int, runs: int = 200) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    with cases.db.writing() as session:
        user = add_user(session, cases.clock, f"bench auditor {time.time_ns()}", Role.auditor)
        token = create_token(session, cases.clock, user)
    auth = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    env = {"GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_RUN_SCHEDULER": "false"}
    with (
        server("services.api.app:create_app", env) as base,
        httpx.Client(base_url=base, headers=auth, timeout=60) as client,
    ):

        def timed(path_of) -> tuple[float, float]:  # type: ignore[no-untyped-def]
            client.get(path_of(0))
            times = []
            for i in range(runs):
                start = time.perf_counter()
                response = client.get(path_of(i))
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text[:200]
            times.sort()
            return statistics.median(times), times[int(runs * 0.95) - 1]

        history = timed(lambda i: f"/cases/{rng.randrange(1, large)}/history")
        listing = timed(
            lambda i: (
                f"/cases?programme=sf-uppsala-nya-vagar&state=implementation_granted&page={1 + i % 50}&page_size=50"
            )
        )
    return (*history, *listing)


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    pg = (
        subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
        or "psql not found"
    )
    return f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {pg}"


def run(database: str, pg: str | None, args: argparse.Namespace) -> None:
    say(f"## {database}")
    say()
    with tempfile.TemporaryDirectory() as tmp:
        say(
            "Transitions over HTTP (propose, then return, on cases of their own), against the bare endpoint:"
        )
        say()
        say("| workers | clients | bare endpoint /s | grantflow /s | cost ratio | bar 3x |")
        say("|---|---|---|---|---|---|")
        for workers, clients, baseline, grantflow in transitions(tmp, pg, args.requests):
            ratio = baseline / grantflow
            say(
                f"| {workers} | {clients} | {baseline:.0f} | {grantflow:.0f} | {ratio:.2f}x | {'holds' if ratio <= 3 else 'missed'} |"
            )
        say()
        small_url, large_url, empty_url = (
            fresh_database(tmp, n, pg) for n in ("small", "large", "empty")
        )
        small, large = service(small_url), service(large_url)
        generate(small, 1_000)
        made_in = generate(large, args.large)
        say(
            f"Generated {args.large:,} cases ({args.large * 4:,} events) in {made_in:.0f} s ({args.large / made_in:,.0f} cases/s)."
        )
        say()
        small_ms, large_ms = idle_sweep_ms(small), idle_sweep_ms(large)
        rss_empty, rss_large = scheduler_rss_mb(empty_url), scheduler_rss_mb(large_url)
        checked, rate = verification_rate(large, 1_000_000)
        h50, h95, l50, l95 = p95_reads(large_url, large, args.large)
        fire = firing_rate(large_url, args.fire)
        say("| measure | figure | against | bar |")
        say("|---|---|---|---|")
        say(
            f"| idle sweep | {large_ms:.2f} ms at {args.large:,} open cases | {small_ms:.2f} ms at 1 000 ({large_ms / small_ms:.2f}x) | same order: {'holds' if large_ms / small_ms < 10 else 'missed'} |"
        )
        say(
            f"| scheduler memory | {rss_large:.1f} MB at {args.large:,} pending | {rss_empty:.1f} MB at 0 ({rss_large / rss_empty:.2f}x) | does not grow: {'holds' if rss_large / rss_empty < 1.2 else 'missed'} |"
        )
        say(
            f"| firing due deadlines | {fire:.0f} per second ({args.fire:,} fired, one transaction each) | | |"
        )
        say(f"| audit verification | {rate:,.0f} events per second over {checked:,} events | | |")
        say(
            f"| GET /cases/{{id}}/history | p95 {h95:.1f} ms, median {h50:.1f} ms at {args.large:,} cases | | |"
        )
        say(
            f"| GET /cases filtered by programme and state | p95 {l95:.1f} ms, median {l50:.1f} ms at {args.large:,} cases | | |"
        )
        say()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--fire", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    started = time.monotonic()
    say("# Benchmark results")
    say()
    say(
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `make bench` (bench/suite.py, --large {args.large} --fire {args.fire}) on"
    )
    say(
        f"{machine()}. A shared machine: compare the ratios, which are measured side by side, more than the raw rates."
    )
    say()
    if args.only != "postgresql":
        run("SQLite", None, args)
    if args.only != "sqlite":
        run("PostgreSQL", args.postgres_url, args)
    say(f"The whole run took {(time.monotonic() - started) / 60:.1f} minutes.")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
