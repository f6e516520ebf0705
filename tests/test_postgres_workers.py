"""PostgreSQL with two API worker processes and two schedulers: nothing applied twice, nothing lost.

Part of the PostgreSQL run (`make test-postgres`, GRANTFLOW_TEST_POSTGRES_URL): it is about what
only PostgreSQL offers here, several processes writing at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from services import audit
from services.container import build_services
from services.schemas import NewCase
from services.storage.keeping import Deadline
from services.storage.migrate import upgrade
from services.storage.models import AuditEvent
from tests.support import add_people, seed_granted_cases
from workflow.actors import Actor, Role
from workflow.catalogue import load_catalogue
from workflow.clock import SystemClock

SERVER = (
    os.environ.get("GRANTFLOW_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
)
CLIENTS, PER_CLIENT, DEADLINES = 8, 250, 10_000
DECISION = {"amount": "100000", "period_start": "2026-01-01", "period_end": "2026-12-31"}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"gf_workers_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(
        make_url(SERVER).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def registered_services(postgres_url: str, tmp_path):  # type: ignore[no-untyped-def]
    """The services on the database, with every programme registered."""
    from pathlib import Path

    catalogue = load_catalogue(Path(__file__).resolve().parent.parent / "config" / "programmes")
    services = build_services(postgres_url, catalogue, SystemClock(), tmp_path)
    with services.units.writing() as uow:
        services.programmes.register(uow)
        uow.commit()
    return services


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)


@pytest.mark.postgresql_only
def test_two_api_workers_and_two_schedulers_on_postgresql_apply_everything_exactly_once(
    postgres_url: str, tmp_path
) -> None:
    services = registered_services(postgres_url, tmp_path)
    units = services.units
    people = add_people(units, services.clock)
    applicant = Actor(
        people.user_ids["knivsta"], "knivsta user", Role.applicant, people.org_ids["knivsta"]
    )
    owned: list[list[int]] = []
    for _ in range(CLIENTS):
        ids = []
        for _ in range(10):
            with units.writing() as uow:
                new = NewCase(programme="sf-uppsala-nya-vagar", title="load")
                case = services.opening.open(uow, applicant, new)
                body = {"requested_amount": "200000"}
                services.transitions.fire(uow, applicant, case.id, "apply_implementation", body)
                uow.commit()
            ids.append(case.id)
        owned.append(ids)
    due = seed_granted_cases(
        units, DEADLINES, "sf-uppsala-nya-vagar", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )

    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": postgres_url,
        "GRANTFLOW_RUN_SCHEDULER": "false",
        "GRANTFLOW_SWEEP_INTERVAL_SECONDS": "1",
        "GRANTFLOW_DATA_DIR": str(tmp_path),
    }
    port = free_port()
    logs = [(tmp_path / f"process-{i}.log").open("w") for i in range(3)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stderr=logs[0],
            stdout=logs[0],
        ),
        *(
            subprocess.Popen(
                [sys.executable, "-m", "services.cli", "scheduler"],
                env=env,
                stderr=logs[i],
                stdout=logs[i],
            )
            for i in (1, 2)
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        accepted: list[tuple[str, int]] = []  # (idempotency key, event seq)
        replays: list[tuple[str, int]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            headers = {
                "Authorization": f"Bearer {people.tokens['caseworker' if n % 2 else 'approver']}"
            }
            with httpx.Client(base_url=base, timeout=60) as http:
                for i in range(PER_CLIENT):
                    # Neighbouring clients share cases, so some requests race and are refused.
                    case_id = owned[(n + i) % CLIENTS][i % 10]
                    state = http.get(f"/cases/{case_id}", headers=headers).json()["state"]
                    name, body = (
                        ("propose_implementation_grant", DECISION)
                        if state == "implementation_applied"
                        else ("return_proposal", {"reason": "load"})
                    )
                    key = f"c{n}-{i}"
                    response = http.post(
                        f"/cases/{case_id}/transitions/{name}",
                        json=body,
                        headers={**headers, "Idempotency-Key": key},
                    )
                    if response.status_code == 200:
                        with lock:
                            accepted.append((key, response.json()["event_seq"]))
                        if i % 10 == 0:  # a retry of an answered request, maybe to the other worker
                            again = http.post(
                                f"/cases/{case_id}/transitions/{name}",
                                json=body,
                                headers={**headers, "Idempotency-Key": key},
                            )
                            with lock:
                                replays.append((key, again.json()["event_seq"]))
                    elif response.status_code not in (403, 409, 412):
                        with lock:
                            errors.append(f"{response.status_code} {response.text[:200]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], (tmp_path / "process-0.log").read_text()[-3000:]
        # How many go through depends on the machine's speed (neighbours race for cases); what
        # must hold whatever the speed is checked below: each accepted one exactly once.
        assert accepted, "transitions went through"

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with units.reading() as uow:
                left = uow.session.exec(
                    select(func.count())
                    .select_from(Deadline)
                    .where(Deadline.status == "pending", Deadline.kind == "period_end")
                ).one()
            if left == 0:
                break
            time.sleep(1)
        assert left == 0, f"{left} deadlines never fired"
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)

    # Every accepted request has exactly one event, and a replay points at that same event.
    seqs = [seq for _, seq in accepted]
    assert len(set(seqs)) == len(seqs)
    assert all(dict(accepted)[key] == seq for key, seq in replays)
    with units.reading() as uow:
        session = uow.session
        moves = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.transition.in_(["propose_implementation_grant", "return_proposal"]),
                AuditEvent.kind == "transition",
            )  # type: ignore[attr-defined]
        ).one()
        found = set(session.exec(select(AuditEvent.seq).where(AuditEvent.seq.in_(seqs))).all())  # type: ignore[attr-defined]
        per_case = Counter(
            session.exec(
                select(AuditEvent.case_id).where(AuditEvent.transition == "end_period")
            ).all()
        )
    assert moves == len(accepted), "no transition without an accepted request"
    assert found == set(seqs), "no accepted transition lost"
    assert set(per_case) == set(due) and set(per_case.values()) == {1}, (
        "each deadline fired exactly once"
    )
    with units.reading() as uow:
        chain = audit.verify(uow)
    assert chain.ok, chain.problem
    units.dispose()


@pytest.mark.postgresql_only
def test_a_token_revoked_through_one_worker_opens_nothing_on_the_next_request_to_any(
    postgres_url: str, tmp_path
) -> None:
    from services.access import add_user, create_token
    from services.storage.models import ApiToken

    services = registered_services(postgres_url, tmp_path)
    units = services.units
    with units.writing() as uow:
        admin_token = create_token(
            uow, services.clock, add_user(uow, services.clock, "admin", Role.admin)
        )
        user = add_user(uow, services.clock, "leaving caseworker", Role.caseworker)
        token = create_token(uow, services.clock, user)
        uow.commit()
    with units.reading() as uow:
        token_id = uow.session.exec(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    units.dispose()
    env = {**os.environ, "GRANTFLOW_DATABASE_URL": postgres_url, "GRANTFLOW_RUN_SCHEDULER": "false"}
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "--port", str(port), "--workers", "2"],
        env={**env, "GRANTFLOW_DATA_DIR": str(tmp_path)},
        stderr=log,
        stdout=log,
    )
    base = f"http://127.0.0.1:{port}"
    mine = {"Authorization": f"Bearer {token}"}

    def each_on_a_new_connection(count: int) -> list[int]:
        # A new connection each time, so the two workers both take some of them.
        return [
            httpx.get(base + "/cases", headers=mine, timeout=30).status_code for _ in range(count)
        ]

    try:
        wait_until_up(base)
        assert set(each_on_a_new_connection(40)) == {200}
        revoked = httpx.post(
            f"{base}/admin/tokens/{token_id}/revoke",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=30,
        )
        assert revoked.status_code in (200, 204), revoked.text
        assert set(each_on_a_new_connection(40)) == {401}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.postgresql_only
def test_a_batch_leaves_out_a_deadline_whose_rows_someone_holds_and_fires_it_alone_after(
    postgres_url: str, tmp_path
) -> None:
    """A batch holds the audit head and waits for nothing else: the deadline whose case (or
    whose organisation, which its mail refers to) another transaction holds is left out, the
    others fire, and it fires alone once that transaction ends; no incident, one event each."""
    from services.deadlines.keeper import DeadlineKeeper

    services = registered_services(postgres_url, tmp_path)
    seed_granted_cases(
        services.units, 12, "sf-uppsala-nya-vagar", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    engine = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"))
    holding = engine.connect()
    held = holding.begin()
    case_id, other = holding.execute(
        text("SELECT case_id FROM deadline WHERE status = 'pending' ORDER BY due_at, id LIMIT 2")
    ).scalars()
    holding.execute(
        text("SELECT 1 FROM grant_case WHERE id = :c FOR NO KEY UPDATE"), {"c": case_id}
    )
    holding.execute(
        text(
            "SELECT 1 FROM organisation o JOIN grant_case c ON c.organisation_id = o.id "
            "WHERE c.id = :c FOR UPDATE OF o"
        ),
        {"c": other},
    )
    threading.Timer(0.5, held.rollback).start()
    try:
        result = DeadlineKeeper(services, worker="batch").sweep()
    finally:
        holding.close()
        engine.dispose()

    assert result.failed == 0 and result.handled >= 12
    with services.units.reading() as uow:
        assert audit.verify(uow).ok
        deadlines = uow.session.exec(select(Deadline).where(Deadline.case_id.is_not(None))).all()
        fired = [d for d in deadlines if d.kind == "period_end"]
        assert {d.status for d in fired} == {"fired"} and len(fired) == 12
        seqs = [d.event_seq for d in fired]
        assert len(set(seqs)) == 12 and None not in seqs
        assert uow.incidents.count_open() == 0
