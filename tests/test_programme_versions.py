"""Every version of a programme's rules is kept with its content; cases and deadlines name the
version they were made under, and any two versions can be compared rule by rule."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from config.settings import Settings
from services.api.app import create_app
from services.deadlines.keeper import DeadlineKeeper
from tests.support import Api, add_people
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
DELMOS = ROOT / "config" / "programmes" / "delmos-2018.toml"
STAR = "star-flere-skal-med-2017"


def test_each_programme_file_is_kept_as_version_1_with_its_content_and_hash(api: Api) -> None:
    kept = api.get("auditor", "/programmes/delmos-2018/versions").json()
    assert [(v["version"], v["in_use"]) for v in kept] == [(1, True)]
    assert kept[0]["sha256"] == hashlib.sha256(DELMOS.read_bytes()).hexdigest()
    assert kept[0]["reason"] == "first registration of the programme file"
    one = api.get("knivsta", "/programmes/delmos-2018/versions/1").json()
    assert one["content"] == DELMOS.read_text(encoding="utf-8")

    draft = api.create_case("aarhus", STAR, "Aarhus")
    assert draft["programme_version"] == 1
    deadlines = api.get("caseworker", f"/cases/{draft['id']}/deadlines").json()
    assert deadlines and {d["programme_version"] for d in deadlines} == {1}


def test_a_changed_file_waits_for_plan_and_apply_then_is_taken_up_without_a_restart(
    settings: Settings, clock: SettableClock, tmp_path: Path
) -> None:
    folder = tmp_path / "programmes"
    shutil.copytree(DELMOS.parent, folder)
    settings = settings.model_copy(update={"programmes_dir": folder})
    with TestClient(create_app(settings, clock)) as client:
        people = add_people(client.app.state.services.units, clock)  # type: ignore[attr-defined]
        before = Api(client, people).create_case("knivsta", "delmos-2018", "Före ändringen")

    edited = folder / "delmos-2018.toml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("months = 2", "months = 3", 1), encoding="utf-8")
    with TestClient(create_app(settings, clock)) as client:
        api = Api(client, people)
        # Edited in place and restarted: not taken up, and a person is told how to apply it.
        waiting = api.create_case("knivsta", "delmos-2018", "Medan filen väntar")
        incidents = api.get("caseworker", "/incidents").json()["items"]
        assert [i["subject"] for i in incidents] == ["delmos-2018.toml"]
        assert "grantflow programs plan" in incidents[0]["error"]

        applied = cli(settings, "programs", "apply", str(edited), "--reason", "Tre månader",
                      "--by", "admin user")  # fmt: skip
        assert applied.returncode == 0, applied.stderr
        # Another process applied it; this one takes it up at its next sweep, not a restart.
        DeadlineKeeper(client.app.state.services, worker="test").sweep()  # type: ignore[attr-defined]
        after = api.create_case("knivsta", "delmos-2018", "Efter ändringen")
        kept = api.get("auditor", "/programmes/delmos-2018/versions").json()
        diff = api.get("auditor", "/programmes/delmos-2018/versions/1/diff/2").json()
        assert api.get("caseworker", f"/cases/{before['id']}").json()["programme_version"] == 1

    assert waiting["programme_version"] == 1 and after["programme_version"] == 2
    assert [(v["version"], v["in_use"], v["registered_by"]) for v in kept] == [
        (1, False, "grantflow at start-up"),
        (2, True, "admin user"),
    ]
    assert diff["rules"] == [{"key": "deadlines.final_report.months", "was": 2, "now": 3}]
    assert "-months = 2\n+months = 3" in diff["text"]
    with TestClient(create_app(settings, clock)) as client:  # the file is the version in force
        assert Api(client, people).get("caseworker", "/incidents").json()["items"] == []


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env |= {
        "GRANTFLOW_DATABASE_URL": settings.database_url,
        "GRANTFLOW_DATA_DIR": str(settings.data_dir),
        "GRANTFLOW_PROGRAMMES_DIR": str(settings.programmes_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_version_that_does_not_exist_is_a_404_problem(api: Api) -> None:
    for path in ("/programmes/delmos-2018/versions/9", "/programmes/nope/versions"):
        answer = api.get("caseworker", path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
