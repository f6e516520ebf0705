"""Backups that restore: taken while transitions run, whole or not at all, checked on the way
back in, on SQLite and (in `make test-postgres`) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import Settings
from services.backups import BackupError, make_backup, restore_backup
from services.storage.backup import events_in
from tests.conftest import fresh_database
from tests.support import Api

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4 a letter of intent"


def grantflow(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env |= {"GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a condition (never for a length of time); give up only when it is clearly stuck."""
    give_up = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < give_up, f"waited two minutes for {what}"
        time.sleep(0.01)


class Caseworkers(threading.Thread):
    """Opens and moves cases, one transition after another, until told to stop."""

    def __init__(self, api: Api) -> None:
        super().__init__(daemon=True)
        self.api, self.moved, self.stop, self.failure = api, 0, threading.Event(), ""

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                case = self.api.create_case("knivsta", "delmos-2018", f"Fall {self.moved}")
                self.api.move("caseworker", case["id"], "invite", note="Välkommen")
                self.api.move("knivsta", case["id"], "apply_mapping", requested_amount="400000")
                self.moved += 1
        except Exception as failed:  # shown by the test, which would otherwise wait in vain
            self.failure = repr(failed)


def test_a_backup_taken_while_transitions_run_restores_to_a_chain_that_verifies(
    api: Api, settings: Settings, template_database: str, tmp_path: Path
) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Med bilaga")
    added = api.post(
        "knivsta", f"/cases/{case['id']}/attachments", files={"file": ("avsikt.pdf", PDF)}
    )
    assert added.status_code == 201, added.text
    writers = Caseworkers(api)
    writers.start()
    try:
        wait_until(lambda: writers.moved >= 2 or bool(writers.failure), "the first transitions")
        made = make_backup(settings.database_url, settings.data_dir, tmp_path / "b.tar", NOW)
        after_backup = writers.moved
        wait_until(lambda: writers.moved > after_backup + 1 or bool(writers.failure), "more")
    finally:
        writers.stop.set()
        writers.join(timeout=60)
    assert not writers.failure
    assert made.attachments == 1
    # The service went on writing after the backup; the backup holds one moment of it.
    assert events_in(settings.database_url) > made.head_seq

    restored_dir = tmp_path / "restored"
    with fresh_database(template_database, tmp_path) as target:
        restored = grantflow(target, restored_dir, "restore", str(tmp_path / "b.tar"))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert f"audit chain verifies: {made.head_seq} events" in restored.stdout
        assert events_in(target) == made.head_seq
        verified = grantflow(target, restored_dir, "audit", "verify")
        assert verified.returncode == 0, verified.stderr
    kept = restored_dir / "attachments" / hashlib.sha256(PDF).hexdigest()[:2]
    assert (kept / hashlib.sha256(PDF).hexdigest()).read_bytes() == PDF


def test_an_interrupted_backup_leaves_nothing_that_looks_complete(
    api: Api, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.create_case("knivsta", "delmos-2018", "Före avbrottet")
    target = tmp_path / "backups" / "b.tar"

    def disk_full(*_args: object, **_kw: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "add", disk_full)
    with pytest.raises(OSError, match="No space"):
        make_backup(settings.database_url, settings.data_dir, target, NOW)
    assert list(target.parent.iterdir()) == []


def test_a_restore_refuses_a_database_that_holds_events_and_a_damaged_backup(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    api.create_case("knivsta", "delmos-2018", "Ska inte skrivas över")
    held = events_in(settings.database_url)
    backup = tmp_path / "b.tar"
    make_backup(settings.database_url, settings.data_dir, backup, NOW)
    with pytest.raises(BackupError, match="--replace"):
        restore_backup(settings.database_url, settings.data_dir, backup, replace=False)

    damaged = tmp_path / "damaged.tar"
    damaged.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"not a whole grantflow backup|does not match"):
        restore_backup(settings.database_url, settings.data_dir, damaged, replace=True)
    assert events_in(settings.database_url) == held
