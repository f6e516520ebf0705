"""Processes that start at once on PostgreSQL (an API worker and a scheduler, say) register each
programme once and sign the audit head once a day, however their steps interleave."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import fresh_database

ROUNDS = 20
PROGRAMMES = len(
    list((Path(__file__).resolve().parent.parent / "config/programmes").glob("*.toml"))
)


def run_due(url: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "deadlines", "run-due"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgresql_only
def test_two_processes_starting_at_once_twenty_times_register_once_and_sign_once(
    template_database: str, tmp_path: Path
) -> None:
    for round_ in range(ROUNDS):
        directory = tmp_path / f"round-{round_}"
        directory.mkdir()
        with fresh_database(template_database, directory) as url:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            with engine.begin() as conn:  # a signing due now, for both to race for
                conn.execute(
                    text(
                        "INSERT INTO deadline (kind, due_at, time_zone, rule, status, created_at, attempts) "
                        "VALUES ('sign_audit_head', :due, 'UTC', 'service#audit.daily_signed_head', "
                        "'pending', :due, 0)"
                    ),
                    {"due": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)},
                )
            processes = [run_due(url, directory) for _ in range(2)]
            results = [p.communicate(timeout=120) for p in processes]
            assert [p.returncode for p in processes] == [0, 0], (round_, results)
            with engine.connect() as conn:

                def count(sql: str) -> int:
                    return int(conn.execute(text(sql)).scalar_one())

                assert (
                    count(
                        "SELECT count(*) FROM audit_event WHERE transition = 'programme_registered'"
                    )
                    == PROGRAMMES
                ), round_
                assert count("SELECT count(*) FROM programme") == PROGRAMMES
                assert (
                    count("SELECT count(*) FROM audit_event WHERE transition = 'head_signed'") == 1
                )
                assert (
                    count(
                        "SELECT count(*) FROM deadline WHERE kind = 'sign_audit_head' AND status = 'pending'"
                    )
                    == 1
                )
            engine.dispose()
