"""`grantflow doctor` says, one line per check, whether grantflow is configured and healthy, and
exits 1 naming what is wrong and how to fix it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mail_server import free_port

ROOT = Path(__file__).resolve().parent.parent
PROGRAMMES = ROOT / "config" / "programmes"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    return clean | {"GRANTFLOW_DATABASE_URL": database_url, "GRANTFLOW_DATA_DIR": str(tmp_path)}


def grantflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def failed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split()[1] for line in result.stdout.splitlines() if line.startswith("FAIL")]


def test_a_service_whose_scheduler_has_swept_is_well(env: dict[str, str]) -> None:
    assert grantflow(env, "deadlines", "run-due").returncode == 0  # a sweep, as a scheduler does
    result = grantflow(env, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok")]
    assert checks == [
        "settings",
        "programmes",
        "database",
        "lifecycle",
        "signing",
        "scheduler",
        "incidents",
        "mail",
    ]


def test_an_identity_provider_that_cannot_be_reached_is_named(env: dict[str, str]) -> None:
    assert grantflow(env, "deadlines", "run-due").returncode == 0
    away = {"GRANTFLOW_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}"}
    result = grantflow(env | away, "doctor")
    assert result.returncode == 1
    assert failed(result) == ["sign-in"]
    assert "discovery document" in result.stdout and "GRANTFLOW_OIDC_ISSUER" in result.stdout


def test_an_smtp_server_that_does_not_answer_is_named(env: dict[str, str]) -> None:
    assert grantflow(env, "deadlines", "run-due").returncode == 0
    away = {"GRANTFLOW_SMTP_HOST": "127.0.0.1", "GRANTFLOW_SMTP_PORT": str(free_port())}
    result = grantflow(env | away, "doctor")
    assert result.returncode == 1
    assert failed(result) == ["mail"]
    assert "does not answer" in result.stdout and "GRANTFLOW_SMTP_HOST" in result.stdout


def test_a_scheduler_that_never_swept_is_named(env: dict[str, str]) -> None:
    result = grantflow(env, "doctor")
    assert result.returncode == 1
    assert failed(result) == ["scheduler"]
    assert "no scheduler has ever swept" in result.stdout and "grantflow scheduler" in result.stdout


def test_a_scheduler_whose_last_sweep_is_old_is_stale(env: dict[str, str]) -> None:
    assert grantflow(env, "deadlines", "run-due").returncode == 0
    result = grantflow(env | {"GRANTFLOW_STALE_AFTER_SECONDS": "0.001"}, "doctor")
    assert result.returncode == 1 and failed(result) == ["scheduler"]
    assert "stale: the last sweep finished" in result.stdout


def test_a_database_url_that_leads_nowhere_is_named(env: dict[str, str]) -> None:
    nowhere = env | {"GRANTFLOW_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    result = grantflow(nowhere, "doctor")
    assert result.returncode == 1 and failed(result) == ["database"]
    assert "cannot reach" in result.stdout and "GRANTFLOW_DATABASE_URL" in result.stdout


def test_a_broken_programme_file_is_named_with_its_problem(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "programmes"
    shutil.copytree(PROGRAMMES, folder)
    (folder / "broken.toml").write_text("[programme\n", encoding="utf-8")
    assert grantflow(env, "deadlines", "run-due").returncode == 0
    result = grantflow(env | {"GRANTFLOW_PROGRAMMES_DIR": str(folder)}, "doctor")
    assert result.returncode == 1 and failed(result) == ["programmes"]
    assert "broken.toml" in result.stdout and "grantflow programs check" in result.stdout


def test_heads_signed_with_a_key_that_is_gone_are_named(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert grantflow(env, "audit", "sign-head").returncode == 0
    assert grantflow(env, "deadlines", "run-due").returncode == 0
    (tmp_path / "audit-signing.key").unlink()
    result = grantflow(env, "doctor")
    assert result.returncode == 1 and failed(result) == ["signing"]
    assert "no key is at" in result.stdout
