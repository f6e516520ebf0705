"""Real scheduler processes on one database: racing each other, and killed mid-sweep."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import select

from services.storage.keeping import Deadline
from services.storage.models import AuditEvent
from tests.support import chain_of, seed_granted_cases, tables

DUE = dt.datetime(2021, 6, 30, 22, 0, tzinfo=dt.UTC)
NOW = "2021-07-01T09:00:00+00:00"
COUNT = 10_000


def scheduler_process(database_url: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": database_url,
        "GRANTFLOW_DATA_DIR": str(data_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "deadlines", "run-due", "--now", NOW],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_each_fired_exactly_once(app, case_ids: list[int]) -> None:
    with tables(app) as session:
        per_case = session.exec(
            select(AuditEvent.case_id, func.count())
            .where(AuditEvent.transition == "end_period")
            .group_by(AuditEvent.case_id)
        ).all()
        statuses = dict(
            session.exec(
                select(Deadline.status, func.count())
                .where(Deadline.kind == "period_end")
                .group_by(Deadline.status)
            ).all()
        )
        states = dict(
            session.execute(text("SELECT state, count(*) FROM grant_case GROUP BY state")).all()  # type: ignore[arg-type]
        )
    assert len(per_case) == len(case_ids), "every case moved"
    assert {count for _, count in per_case} == {1}, "no case moved twice"
    assert statuses == {"fired": len(case_ids)}
    assert states == {"reporting": len(case_ids)}
    chain = chain_of(app)
    assert chain.ok, chain.problem


def test_two_scheduler_processes_sweeping_10000_due_deadlines_fire_each_exactly_once(
    app, client, database_url: str, tmp_path: Path
) -> None:
    case_ids = seed_granted_cases(app.state.services.units, COUNT, "dua-2021", DUE)
    first, second = (
        scheduler_process(database_url, tmp_path),
        scheduler_process(database_url, tmp_path),
    )
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    fired = [int(out.split("fired ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(fired) == COUNT
    assert min(fired) > 0, f"both schedulers took a share: {fired}"
    assert_each_fired_exactly_once(app, case_ids)


def test_a_scheduler_killed_mid_sweep_and_started_again_fires_each_deadline_exactly_once(
    app, client, database_url: str, tmp_path: Path
) -> None:
    case_ids = seed_granted_cases(app.state.services.units, COUNT, "dua-2021", DUE)
    doomed = scheduler_process(database_url, tmp_path)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with tables(app) as session:
            done = session.exec(
                select(func.count()).select_from(Deadline).where(Deadline.status == "fired")
            ).one()
        if done >= 300:
            break
        time.sleep(0.05)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL
    with tables(app) as session:
        fired_before_restart = session.exec(
            select(func.count()).select_from(Deadline).where(Deadline.status == "fired")
        ).one()
    assert 300 <= fired_before_restart < COUNT, "killed in the middle of the sweep"

    again = scheduler_process(database_url, tmp_path)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert_each_fired_exactly_once(app, case_ids)
