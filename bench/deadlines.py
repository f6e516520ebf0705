"""The deadline scheduler at size: idle sweeps, firing rate, and memory.

    python bench/deadlines.py [--small 1000] [--large 1000000] [--fire 100000] [--database-url URL]

Prints, each measured in this run:
- the time of a sweep with nothing due at SMALL and at LARGE open cases with pending deadlines,
  and their ratio (DESIGN.md: the same order; an indexed query, never a scan);
- the rate of firing FIRE due deadlines, in the keeper's batches (each deadline its own audited
  step and event), against bare transactions that update one row and insert one;
- the resident memory of a `grantflow scheduler` process at 0 and at LARGE pending deadlines
  (DESIGN.md: memory does not grow with the number of cases).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import func, text
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.container import Services, build_services
from services.deadlines.keeper import DeadlineKeeper
from services.generate import generate_cases
from services.storage.db import Database
from services.storage.keeping import SchedulerHeartbeat
from services.storage.migrate import upgrade
from workflow.catalogue import load_catalogue
from workflow.clock import SettableClock, SystemClock


def fresh_database(tmp: str, name: str, base_url: str | None, migrate: bool = True) -> str:
    if base_url is None:
        url = f"sqlite:///{tmp}/{name}.db"
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(
            make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        db_name = f"gf_bench_{name}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {db_name}"))
        admin.dispose()
        url = make_url(base_url).set(database=db_name).render_as_string(hide_password=False)
    if migrate:
        upgrade(url)
    return url


def drop_databases(base_url: str | None) -> None:
    """Drop the PostgreSQL databases this process made (SQLite files go with their folder)."""
    if base_url is None:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(
        make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :mine"),
            {"mine": f"gf_bench_%_{os.getpid()}"},
        ).scalars()
        for name in list(names):
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def service(url: str, clock=None) -> Services:  # type: ignore[no-untyped-def]
    catalogue = load_catalogue(ROOT / "config" / "programmes")
    services = build_services(url, catalogue, clock or SystemClock(), Path(tempfile.mkdtemp()))
    with services.units.writing() as uow:
        services.programmes.register(uow)
        uow.commit()
    return services


def generate(cases: Services, count: int) -> float:
    start = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task(f"generating {count:,} cases", total=count)
        generate_cases(
            cases,
            count,
            programme="sf-uppsala-nya-vagar",
            progress=lambda n: progress.advance(task, n),
        )
    return time.perf_counter() - start


def idle_sweep_ms(cases: Services, runs: int = 200) -> float:
    keeper = DeadlineKeeper(cases, worker="bench-idle")
    keeper.sweep()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = keeper.sweep()
        times.append((time.perf_counter() - start) * 1000)
        assert result.handled == 0, "the idle sweep found something due"
    return statistics.median(times)


def scheduler_rss_mb(url: str) -> float:
    """Start `grantflow scheduler`, let it complete three sweeps, and read its resident memory."""
    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": url,
        "GRANTFLOW_SWEEP_INTERVAL_SECONDS": "0.3",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "scheduler"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = Database(url)
    try:
        deadline = time.monotonic() + 120
        started = dt.datetime.now(dt.UTC)
        sweeps_seen = set()
        while time.monotonic() < deadline and len(sweeps_seen) < 3:
            with db.session(write=False) as session:
                last = session.exec(
                    select(func.max(SchedulerHeartbeat.last_sweep_completed_at))
                ).one()
            if last is not None and last >= started:
                sweeps_seen.add(last)
            time.sleep(0.1)
        if proc.poll() is not None:
            raise SystemExit(f"the scheduler exited: {proc.stderr.read() if proc.stderr else ''}")
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kb = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
        )
        return rss_kb / 1024
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        db.dispose()


def firing_rate(url: str, count: int) -> float:
    """Deadlines fired per second by one keeper, in its batches (one commit each, each deadline
    an audited step and an event of its own)."""
    clock = SettableClock(
        dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365)
    )  # every period has ended
    keeper = DeadlineKeeper(service(url, clock), worker="bench-fire")
    start = time.perf_counter()
    result = keeper.sweep(limit=count)
    elapsed = time.perf_counter() - start
    assert result.handled == count, f"only {result.handled} were due"
    return count / elapsed


def bare_transaction_rate(url: str, count: int) -> float:
    """The floor under firing a deadline: one bare transaction per item that updates one row and
    inserts one, through the same transaction helper and commit setting as the keeper."""
    db = Database(url)
    with db.session(write=True) as session:
        session.execute(text("CREATE TABLE bench_counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        session.execute(
            text("CREATE TABLE bench_entry (id INTEGER PRIMARY KEY, counter_id INTEGER, at TEXT)")
        )
        session.execute(text("INSERT INTO bench_counter VALUES (1, 0)"))
        session.commit()
    start = time.perf_counter()
    for i in range(count):
        with db.session(write=True, wait_for_disk=False) as session:
            session.execute(text("UPDATE bench_counter SET value = value + 1 WHERE id = 1"))
            session.execute(
                text("INSERT INTO bench_entry VALUES (:id, 1, :at)"),
                {"id": i, "at": dt.datetime.now(dt.UTC).isoformat()},
            )
            session.commit()
    rate = count / (time.perf_counter() - start)
    db.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--fire", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server URL (default: SQLite files)"
    )
    args = parser.parse_args()
    where = "SQLite" if args.database_url is None else "PostgreSQL"

    with tempfile.TemporaryDirectory() as tmp:
        try:
            measure(tmp, args, where)
        finally:
            drop_databases(args.database_url)


def measure(tmp: str, args: argparse.Namespace, where: str) -> None:
    empty = fresh_database(tmp, "empty", args.database_url)
    small = fresh_database(tmp, "small", args.database_url)
    large = fresh_database(tmp, "large", args.database_url)
    small_cases, large_cases = service(small), service(large)
    generate(small_cases, args.small)
    made_in = generate(large_cases, args.large)
    print(
        f"deadline scheduler on {where}  (generated {args.large:,} cases in {made_in:.0f} s, {args.large / made_in:,.0f}/s)"
    )

    small_ms, large_ms = idle_sweep_ms(small_cases), idle_sweep_ms(large_cases)
    print(f"  idle sweep, {args.small:>9,} pending : {small_ms:8.2f} ms (median of 200)")
    print(f"  idle sweep, {args.large:>9,} pending : {large_ms:8.2f} ms (median of 200)")
    print(
        f"  ratio large / small                : {large_ms / small_ms:8.2f}x   bar: same order (< 10x) {'holds' if large_ms / small_ms < 10 else 'MISSED'}"
    )

    rss_empty, rss_large = scheduler_rss_mb(empty), scheduler_rss_mb(large)
    print(f"  scheduler memory,         0 pending : {rss_empty:8.1f} MB")
    print(
        f"  scheduler memory, {args.large:>9,} pending : {rss_large:8.1f} MB   ({rss_large / rss_empty:.2f}x)"
    )

    bare_url = fresh_database(tmp, "bare", args.database_url, migrate=False)
    bare, rate = bare_transaction_rate(bare_url, args.fire), firing_rate(large, args.fire)
    bar = 10 if args.database_url is None else 4
    print(
        f"  firing {args.fire:,} due deadlines        : {rate:8.0f} per second ({args.fire / rate:.0f} s), in batches"
    )
    print(
        f"  bare transactions                  : {bare:8.0f} per second; firing costs {bare / rate:.1f}x   bar: at most {bar}x {'holds' if bare / rate <= bar else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
