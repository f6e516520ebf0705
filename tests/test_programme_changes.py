"""A new version of a programme's rules is planned before it is applied: the plan names every
pending deadline that moves and changes nothing; apply does exactly that plan, once, with the diff
and who applied it in the audit log."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from services.deadlines.keeper import DeadlineKeeper
from tests.support import Api, seed_granted_cases
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
DELMOS = ROOT / "config" / "programmes" / "delmos-2018.toml"
REASON = "Slutrapporten flyttas till tre månader efter perioden"
# The end of 2 October 2017 in Stockholm: two months on is Saturday 2 December, which rolls to
# Monday the 4th; three months on is Tuesday 2 January.
PERIOD_END = dt.datetime(2017, 10, 2, 22, 0, tzinfo=dt.UTC)
TWO_MONTHS, THREE_MONTHS = "2017-12-04T23:00:00Z", "2018-01-02T23:00:00Z"


def grantflow(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env |= {
        "GRANTFLOW_DATABASE_URL": settings.database_url,
        "GRANTFLOW_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def round_of_50(app, api: Api, clock: SettableClock) -> list[int]:
    """Fifty Delmos cases whose period ended on 2 October 2017: each waits for its report."""
    ids = seed_granted_cases(app.state.services.units, 50, "delmos-2018", PERIOD_END)
    clock.set(PERIOD_END + dt.timedelta(minutes=1))
    DeadlineKeeper(app.state.services, worker="test-scheduler").sweep()
    return ids


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def pending(api: Api, case_id: int) -> dict[str, str]:
    found = api.get("caseworker", f"/cases/{case_id}/deadlines").json()
    return {d["kind"]: d["due_at"] for d in found if d["status"] == "pending"}


def test_a_later_report_month_for_a_running_round_is_planned_then_applied_exactly(
    api: Api, settings: Settings, round_of_50: list[int], tmp_path: Path
) -> None:
    assert {pending(api, i)["final_report"] for i in round_of_50} == {TWO_MONTHS}
    edited = tmp_path / "delmos-2018.toml"
    edited.write_text(DELMOS.read_text().replace("months = 2", "months = 3", 1))

    planned = grantflow(settings, "programs", "plan", str(edited), "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["rules"] == [{"key": "deadlines.final_report.months", "was": 2, "now": 3}]
    moves = {(m["case_id"], m["kind"]): (at(m["was"]), at(m["to"])) for m in plan["moves"]}
    reminded = ("final_report", "report_reminder", "report_last_reminder")
    assert set(moves) == {(i, k) for i in round_of_50 for k in reminded}
    assert {moves[(i, "final_report")] for i in round_of_50} == {(at(TWO_MONTHS), at(THREE_MONTHS))}
    assert {pending(api, i)["final_report"] for i in round_of_50} == {TWO_MONTHS}  # unchanged

    applied = grantflow(
        settings, "programs", "apply", str(edited), "--reason", REASON, "--by", "admin user",
        "--plan", plan["plan"],
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert "150 deadlines moved" in applied.stdout
    after = {i: pending(api, i) for i in round_of_50}
    assert {a["final_report"] for a in after.values()} == {THREE_MONTHS}
    assert all(
        at(after[i]["report_reminder"]) == moves[(i, "report_reminder")][1] for i in round_of_50
    )

    # The case as it stood before the apply still shows the month its report was due then.
    applied_at = at(api.history("auditor", round_of_50[0])[-1]["at"])
    then = api.get(
        "caseworker",
        f"/cases/{round_of_50[0]}/deadlines",
        params={"as_of": (applied_at - dt.timedelta(seconds=1)).isoformat()},
    ).json()
    assert {d["kind"]: d["due_at"] for d in then if d["status"] == "pending"}["final_report"] == (
        TWO_MONTHS
    )
    versions = api.get("auditor", "/programmes/delmos-2018/versions").json()
    assert [(v["version"], v["registered_by"], v["reason"]) for v in versions][-1] == (
        2,
        "admin user",
        REASON,
    )
    events = api.get(
        "auditor", "/audit/events", params={"transition": "programme_version_applied"}
    ).json()["items"]
    assert len(events) == 1 and events[0]["actor_name"] == "admin user"
    assert events[0]["details"]["rules"] == plan["rules"]
    history = api.history("auditor", round_of_50[0])
    moved = [e for e in history if e["transition"] == "deadline_moved"]
    assert moved and moved[0]["details"]["programme_version"] == 2

    again = grantflow(
        settings, "programs", "apply", str(edited), "--reason", REASON, "--by", "admin user",
        "--plan", plan["plan"],
    )  # fmt: skip
    assert again.returncode == 1 and "the plan changed since it was made" in again.stderr


def test_only_an_administrator_applies_and_a_broken_file_changes_nothing(
    api: Api, settings: Settings, round_of_50: list[int], tmp_path: Path
) -> None:
    edited = tmp_path / "delmos-2018.toml"
    edited.write_text(DELMOS.read_text().replace("months = 2", "months = 3", 1))
    refused = grantflow(
        settings, "programs", "apply", str(edited), "--reason", REASON, "--by", "caseworker user"
    )
    assert refused.returncode == 1

    broken = tmp_path / "broken.toml"
    broken.write_text(DELMOS.read_text().replace("months = 2", "months = -1", 1))
    said = grantflow(
        settings, "programs", "apply", str(broken), "--reason", REASON, "--by", "admin user"
    )
    assert said.returncode == 1 and "deadlines.final_report.months" in said.stderr
    assert {pending(api, i)["final_report"] for i in round_of_50} == {TWO_MONTHS}
    kept = api.get("auditor", "/programmes/delmos-2018/versions").json()
    assert [v["version"] for v in kept] == [1]
