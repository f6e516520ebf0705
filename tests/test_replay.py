"""Recorded histories still fit the lifecycle in states/: the logs kept as fixtures and a fresh
demo replay clean, and a change to states/ that would orphan a recorded state is caught at the
first event it breaks, which fails the build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from services.demo import load_demo
from states import load_definition
from workflow.catalogue import load_catalogue
from workflow.lifecycle import load_lifecycle, parse_lifecycle
from workflow.replay import replay

ROOT = Path(__file__).resolve().parent.parent
# Logs recorded by earlier releases: every one must still replay against states/.
RECORDED = sorted((ROOT / "tests" / "fixtures").glob("*/audit-export/events.jsonl"))


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def renamed(old: str, new: str) -> dict[str, Any]:
    """The lifecycle with one state renamed everywhere it is named, as an edit might do."""
    text = json.dumps(load_definition())
    return json.loads(text.replace(f'"{old}"', f'"{new}"'))


def test_every_recorded_log_replays_against_the_lifecycle_in_states() -> None:
    assert RECORDED, "no recorded logs to replay"
    lifecycle = load_lifecycle()
    for path in RECORDED:
        result = replay(lifecycle, events(path))
        assert result.ok, f"{path}: {result.misfit}"
        assert result.cases > 0


def test_a_fresh_demo_replays_through_the_command(database_url: str, tmp_path: Path) -> None:
    load_demo(database_url, load_catalogue(ROOT / "config" / "programmes"), tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env |= {"GRANTFLOW_DATABASE_URL": database_url, "GRANTFLOW_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", "replay"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "every history fits" in done.stdout


def test_renaming_a_recorded_state_is_caught_at_the_first_event_it_orphans() -> None:
    log = events(RECORDED[0])
    first = next(e for e in log if "reporting" in (e.get("from_state"), e.get("to_state")))
    edited = parse_lifecycle(renamed("reporting", "awaiting_report"))
    result = replay(edited, log)
    assert result.misfit is not None
    assert result.misfit.seq == first["seq"]
    assert "'reporting'" in result.misfit.problem


def test_removing_a_recorded_transition_is_caught() -> None:
    log = events(RECORDED[0])
    definition = load_definition()
    definition["transitions"] = [t for t in definition["transitions"] if t["name"] != "lapse"]
    first = next(e for e in log if e.get("transition") == "lapse" and e["kind"] == "transition")
    result = replay(parse_lifecycle(definition), log)
    assert result.misfit is not None and result.misfit.seq == first["seq"]
    assert "no longer has transition 'lapse'" in result.misfit.problem
