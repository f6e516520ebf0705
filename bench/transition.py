"""Transitions per second through grantflow's whole HTTP stack, against a bare endpoint in the same run.

    python bench/transition.py [--requests N] [--clients 1,4] [--database-url URL]

Both servers run as uvicorn processes started the same way; each is driven by the same client
code. The figure that matters is the ratio of costs (baseline rate / grantflow rate); DESIGN.md's
bar is 3x. It also measures firing with the one shared state machine against building a machine
per request, in process.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import baseline_app
from services.access import add_user, create_token
from services.api.http import SERVED_WITH
from services.container import build_services
from services.schemas import NewCase
from services.storage.migrate import upgrade
from services.storage.models import Organisation
from workflow.actors import Actor, Role
from workflow.case import CaseFacts, PartyFacts
from workflow.catalogue import load_catalogue
from workflow.clock import SystemClock
from workflow.engine import Engine, build_machine

PROGRAMME = "sf-uppsala-nya-vagar"  # any programme will do; this one asks for no cluster
DECISION = {"amount": "100000", "period_start": "2026-01-01", "period_end": "2026-12-31"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(app: str, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
            "--http",  # as `grantflow serve` does, for both servers alike
            SERVED_WITH,
        ],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def drive(
    base: str, clients: int, total: int, request: Callable[[httpx.Client, int, int], httpx.Response]
) -> float:
    """Send `total` requests split over `clients` threads; returns requests per second."""
    per_client = total // clients
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def run(c: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            request(client, c, -1)  # warm the connection
            barrier.wait()
            for i in range(per_client):
                r = request(client, c, i)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return per_client * clients / elapsed


def prepare_grantflow(url: str, cases_per_client: int, clients: int) -> tuple[str, list[list[int]]]:
    upgrade(url)
    catalogue = load_catalogue(ROOT / "config" / "programmes")
    clock = SystemClock()
    services = build_services(url, catalogue, clock, Path(tempfile.mkdtemp()))
    units = services.units
    with units.writing() as uow:
        services.programmes.register(uow)
        org = uow.organisations.add(
            Organisation(name="Bench kommun", kind="municipality", country="SE")
        )
        applicant = add_user(uow, clock, "bench applicant", Role.applicant, org.id)
        approver = add_user(uow, clock, "bench approver", Role.approver)
        token = create_token(uow, clock, approver)
        app_actor = Actor(applicant.id, applicant.name, Role.applicant, applicant.organisation_id)
        uow.commit()
    groups = []
    for _ in range(clients):
        ids = []
        for _ in range(cases_per_client):
            with units.writing() as uow:
                new = NewCase(programme=PROGRAMME, title="bench")
                case = services.opening.open(uow, app_actor, new)
                body = {"requested_amount": "200000"}
                services.transitions.fire(uow, app_actor, case.id, "apply_implementation", body)
                uow.commit()
            ids.append(case.id)
        groups.append(ids)
    units.dispose()
    return token, groups


def bench_http(requests: int, clients_list: list[int], database_url: str | None) -> list[Rates]:
    """The comparison at each client count, on fresh databases (SQLite files, or PostgreSQL)."""
    from bench.deadlines import fresh_database

    rows = []
    for clients in clients_list:
        with tempfile.TemporaryDirectory() as tmp:
            gf_url = fresh_database(tmp, "transitions", database_url)
            base_url = fresh_database(tmp, "baseline", database_url, migrate=False)
            rows.append(one_run(requests, clients, gf_url, base_url))
    return rows


def one_run(
    requests: int,
    clients: int,
    gf_url: str,
    base_url: str,
    workers: int = 1,
    rounds: int = 4,
    lean_url: str | None = None,
    sampler: Callable[[], Any] | None = None,
    read_floor: bool = False,
) -> Rates:
    """`requests` to each server, in `rounds` that alternate between them with all running, so
    the machine's drift over the run falls on each alike. With `lean_url`, the lean endpoint runs
    too; with `read_floor`, grantflow's `GET /cases/{id}` on the same cases (`Rates.read`);
    `sampler`, if given, is a context manager entered around grantflow's rounds."""
    token, groups = prepare_grantflow(gf_url, cases_per_client=20, clients=clients)
    auth = {"Authorization": f"Bearer {token}"}

    def fire(client: httpx.Client, c: int, i: int) -> httpx.Response:
        # An approver proposes, then returns the proposal: two transitions, back where it began.
        ids = groups[c]
        case_id = ids[(max(i, 0) // 2) % len(ids)]
        propose = f"/cases/{case_id}/transitions/propose_implementation_grant"
        give_back = f"/cases/{case_id}/transitions/return_proposal"
        if i < 0:  # warm-up: leave the case as it was
            client.post(propose, json=DECISION, headers=auth)
            return client.post(give_back, json={"reason": "warm-up"}, headers=auth)
        if i % 2 == 0:
            return client.post(propose, json=DECISION, headers=auth)
        return client.post(give_back, json={"reason": "bench"}, headers=auth)

    def read(client: httpx.Client, c: int, i: int) -> httpx.Response:
        return client.get(f"/cases/{groups[c][max(i, 0) % len(groups[c])]}", headers=auth)

    def bump(client: httpx.Client, c: int, i: int) -> httpx.Response:
        return client.post(f"/counters/{c * 20 + (max(i, 0) // 2) % 20 + 1}/bump")

    baseline_app.prepare(base_url)
    grantflow = {"GRANTFLOW_DATABASE_URL": gf_url, "GRANTFLOW_RUN_SCHEDULER": "false"}
    servers = {
        "naive": ("bench.baseline_app:create_app", {"BASELINE_DATABASE_URL": base_url}, bump),
        "grantflow": ("services.api.app:create_app", grantflow, fire),
    }
    if read_floor:
        servers["read"] = ("services.api.app:create_app", grantflow, read)
    if lean_url is not None:
        baseline_app.prepare(lean_url)
        servers["lean"] = ("bench.lean_app:create_app", {"BASELINE_DATABASE_URL": lean_url}, bump)
    # Each client's share of a round is even, so every proposal is returned within the round.
    per_round = requests // rounds // (2 * clients) * (2 * clients)
    seconds = dict.fromkeys(servers, 0.0)
    with contextlib.ExitStack() as stack:
        bases = {
            name: stack.enter_context(server(app, env, workers))
            for name, (app, env, _) in servers.items()
        }
        for _ in range(rounds):
            for name, (_, _, request) in servers.items():
                with sampler() if sampler and name == "grantflow" else contextlib.nullcontext():
                    seconds[name] += per_round / drive(bases[name], clients, per_round, request)
    done = per_round * rounds
    rates = {name: done / took for name, took in seconds.items()}
    return Rates(
        clients, rates.get("lean"), rates["naive"], rates["grantflow"], read=rates.get("read")
    )


@dataclass(frozen=True)
class Rates:
    """Requests per second of each server in one comparison."""

    clients: int
    lean: float | None
    naive: float
    grantflow: float
    workers: int = 1
    # grantflow's cheapest authenticated request, GET /cases/{id}, in the same rounds: token,
    # one read, the answer. No transition can cost less, so it bounds what the bars can reach.
    read: float | None = None


def bench_machine(repeat: int = 2000) -> tuple[float, float]:
    """Microseconds per firing: the shared machine, and a new Machine() built for each request."""
    catalogue = load_catalogue(ROOT / "config" / "programmes")
    engine = catalogue.engine
    programme = catalogue.programme(PROGRAMME)
    case = CaseFacts(
        id=1,
        programme=programme,
        state="implementation_applied",
        version=1,
        organisation_id=1,
        parties=(PartyFacts(1, "municipality", True),),
    )
    actor = Actor(1, "bench", Role.approver)
    now = dt.datetime.now(dt.UTC)

    def shared() -> None:
        engine.fire(case, "propose_implementation_grant", actor, DECISION, now)

    def per_request() -> None:
        fresh = Engine.__new__(Engine)
        fresh.lifecycle, fresh._guards, fresh._effects = (
            engine.lifecycle,
            engine._guards,
            engine._effects,
        )
        fresh.machine = build_machine(engine.lifecycle, fresh._check, fresh._apply)
        fresh.fire(case, "propose_implementation_grant", actor, DECISION, now)

    shared_us = min(timeit.repeat(shared, number=repeat, repeat=5)) / repeat * 1e6
    per_request_us = (
        min(timeit.repeat(per_request, number=repeat // 10, repeat=5)) / (repeat // 10) * 1e6
    )
    return shared_us, per_request_us


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL of an empty database (default: SQLite files)",
    )
    args = parser.parse_args()

    shared_us, per_request_us = bench_machine()
    print("state machine, in process (microseconds per firing, best of 5)")
    print(f"  shared machine, adapter bound per firing : {shared_us:8.1f} us")
    print(
        f"  new Machine() per request                : {per_request_us:8.1f} us   ({per_request_us / shared_us:.1f}x the shared one)"
    )
    print()
    print(
        f"HTTP transitions, {args.requests} requests per run, {'SQLite' if not args.database_url else args.database_url}"
    )
    print(
        f"  {'clients':>7}  {'baseline/s':>10}  {'grantflow/s':>11}  {'cost ratio':>10}  bar 3.0x"
    )
    for rates in bench_http(
        args.requests, [int(c) for c in args.clients.split(",")], args.database_url
    ):
        clients, baseline, grantflow = rates.clients, rates.naive, rates.grantflow
        ratio = baseline / grantflow
        print(
            f"  {clients:>7}  {baseline:>10.0f}  {grantflow:>11.0f}  {ratio:>9.2f}x  {'holds' if ratio <= 3 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()


class LockWaits:
    """Samples pg_stat_activity every few milliseconds while entered: of this database's
    backends inside a transaction (running a statement or between two), how many wait on a lock
    (issue 16's measure of the audit head's contention)."""

    def __init__(self, url: str, every: float = 0.005) -> None:
        self.url, self.every = url, every
        self.waiting = self.sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self) -> LockWaits:
        return self

    def __enter__(self) -> LockWaits:
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _sample(self) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        parsed = make_url(self.url)
        with psycopg.connect(
            host=parsed.host,
            port=parsed.port,
            user=parsed.username,
            dbname=parsed.database,
            autocommit=True,
        ) as conn:
            while not self._stop.wait(self.every):
                waiting, sampled = conn.execute(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
                ).fetchone()
                self.waiting += waiting
                self.sampled += sampled

    @property
    def share(self) -> float:
        return self.waiting / self.sampled if self.sampled else 0.0
