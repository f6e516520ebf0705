"""A database and an audit export made by release 0.1 (tests/fixtures/release-0.1/: the demo plus a
decision, NFD text and amounts written with one decimal, as 0.1 wrote them) still verify after
the upgrade, and go on verifying once this release has added events of its own encoding."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Integer, MetaData, create_engine, text
from sqlalchemy.engine import make_url

from config.settings import Settings
from services.api.app import create_app
from services.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "tests" / "fixtures" / "release-0.1"
VERIFIER = ROOT / "tools" / "verify_audit_export.py"
CASEWORKER = {"Authorization": "Bearer demo-caseworker"}
AUDITOR = {"Authorization": "Bearer demo-auditor"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql_only)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Release 0.1's database, upgraded by this release: the file itself on SQLite; on
    PostgreSQL, 0.1's schema (migrations 0001-0005, unchanged since that release) holding the
    same rows, copied over as they were written."""
    if request.param == "sqlite":
        path = tmp_path / "grantflow.db"
        shutil.copyfile(RELEASE / "grantflow.db", path)
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url, tmp_path
        return
    with empty_postgres_database() as url:
        upgrade(url, RELEASE_REVISION)
        copy_rows(RELEASE / "grantflow.db", url)
        upgrade(url)
        yield url, tmp_path


RELEASE_REVISION = "0005"
SERVER = (
    os.environ.get("GRANTFLOW_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    name = f"gf_release_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(
        make_url(SERVER).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def copy_rows(sqlite_file: Path, url: str) -> None:
    """Every row of every table, as stored; SQLite's naive times are UTC by construction."""
    old = create_engine(f"sqlite:///{sqlite_file}")
    new = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    old_tables, new_tables = MetaData(), MetaData()
    old_tables.reflect(old)
    new_tables.reflect(new)
    with old.connect() as read, new.begin() as write:
        assert read.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            RELEASE_REVISION
        )
        for table in new_tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [
                {k: _utc(v) for k, v in row._mapping.items()}
                for row in read.execute(old_tables.tables[table.name].select())
            ]
            write.execute(table.delete())  # a row a migration put there (the chain's empty head)
            if rows:
                write.execute(table.insert(), rows)
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                write.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
    old.dispose()
    new.dispose()


def _utc(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def cli(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def verifier(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )


def test_the_export_release_0_1_wrote_verifies_with_the_standalone_verifier() -> None:
    events = (RELEASE / "audit-export" / "events.jsonl").read_text(encoding="utf-8")
    assert '"605589.5"' in events, "the fixture keeps an amount as 0.1 wrote it"
    assert '"encoding"' not in events
    result = verifier(RELEASE / "audit-export", "--head", RELEASE / "signed-head.json")
    assert result.returncode == 0, result.stdout
    assert "OK: 42 events" in result.stdout


def test_a_release_0_1_chain_verifies_after_the_upgrade_by_api_cli_and_verifier(
    old_database: tuple[str, Path],
) -> None:
    url, data_dir = old_database
    head = json.loads((RELEASE / "signed-head.json").read_text())
    settings = Settings(
        environment="test", database_url=url, data_dir=data_dir, run_scheduler=False
    )
    with TestClient(create_app(settings)) as client:
        # Start-up may record programme files changed since 0.1 (each a `programme_registered`).
        before = client.get("/audit/verify", headers=AUDITOR).json()
        assert before["ok"] is True and before["events_checked"] >= 42

        # This release writes on after the old events, in its own encoding.
        cases = client.get("/cases", params={"programme": "delmos-2018"}, headers=CASEWORKER)
        waiting = next(c for c in cases.json()["items"] if c["state"] == "interest_registered")
        moved = client.post(
            f"/cases/{waiting['id']}/transitions/invite",
            json={"note": "Välkommen"},
            headers=CASEWORKER,
        )
        assert moved.status_code == 200, moved.text
        history = client.get(f"/cases/{waiting['id']}/history", headers=AUDITOR).json()
        assert [e["encoding"] for e in history] == [1, 2]
        after = client.get("/audit/verify", headers=AUDITOR).json()
        total = before["events_checked"] + 1
        assert after["ok"] is True and after["events_checked"] == total

    checked = cli(url, data_dir, "audit", "verify")
    assert checked.returncode == 0 and f"{total} events" in checked.stdout, checked.stderr
    signed = cli(
        url,
        data_dir,
        "audit",
        "verify",
        "--signed-head",
        str(RELEASE / "signed-head.json"),
        "--public-key",
        head["public_key"],
    )
    assert signed.returncode == 0, signed.stderr
    export = data_dir / "export"
    assert cli(url, data_dir, "audit", "export", "--out", str(export)).returncode == 0
    outside = verifier(export, "--head", RELEASE / "signed-head.json")
    assert outside.returncode == 0, outside.stdout
    assert f"OK: {total} events" in outside.stdout


def test_an_old_event_tidied_into_the_new_normal_form_is_caught(tmp_path: Path) -> None:
    """Version 1 hashed text as it came; rewriting an old event's text in NFC is an edit."""
    lines = (RELEASE / "audit-export" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    decomposed = next(
        i for i, line in enumerate(lines) if not unicodedata.is_normalized("NFC", line)
    )
    lines[decomposed] = unicodedata.normalize("NFC", lines[decomposed])
    edited = tmp_path / "edited"
    edited.mkdir()
    shutil.copyfile(RELEASE / "audit-export" / "manifest.json", edited / "manifest.json")
    (edited / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verifier(edited)
    assert result.returncode == 1 and f"line {decomposed + 2}" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [("reason", unicodedata.normalize("NFD", "Västerås"), "NFC"), ("amount", 2669104.2, "float")],
)
def test_the_verifier_holds_encoding_2_to_its_rules_even_for_a_freshly_hashed_line(
    tmp_path: Path, field: str, value: object, said: str
) -> None:
    event = {"seq": 1, "prev_hash": "0" * 64, "encoding": 2, field: value}
    line = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(line.encode()).hexdigest()
    (tmp_path / "events.jsonl").write_text(line + "\n", encoding="utf-8")
    manifest = {"first_seq": 1, "last_seq": 1, "count": 1, "prev_hash": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "head_hash": digest}))
    result = verifier(tmp_path)
    assert result.returncode == 1 and "line 1" in result.stdout and said in result.stdout
