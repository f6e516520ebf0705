"""The README runs as written. Each fenced block says how it is checked: `run` blocks run in
order in bash against a fresh demo served by `grantflow serve`, every request's answer must be a
success, and their effects are checked; `commands` blocks name only commands and options that
exist and settings that are documented; a `picture` is a picture."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from config.settings import Settings
from services.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"<!-- readme: (?P<how>\w+) -->\n```\w*\n(?P<body>.*?)\n```", re.S)
CASEWORKER = {"Authorization": "Bearer demo-caseworker"}
# Every request in a `run` block fails the block when it is not a success, and shows the answer.
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; echo; }
"""


@dataclass(frozen=True)
class Block:
    how: str
    body: str
    line: int


def blocks(how: str | None = None) -> list[Block]:
    found = [
        Block(m["how"], m["body"], README.count("\n", 0, m.start()) + 2)
        for m in BLOCK.finditer(README)
    ]
    return [b for b in found if how is None or b.how == how]


def test_every_block_of_the_readme_says_how_it_is_checked() -> None:
    fences = re.findall(r"^```", README, re.M)
    assert len(fences) == 2 * len(blocks()), "a fenced block without <!-- readme: ... -->"
    assert {b.how for b in blocks()} <= {"run", "commands", "picture"}
    assert blocks("run") and blocks("commands")


def test_the_first_two_commands_are_make_run_and_make_test() -> None:
    first = blocks()[0]
    assert [line.split("#")[0].strip() for line in first.body.splitlines()] == [
        "make run",
        "make test",
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """What `make run` serves, on a free port: a migrated SQLite file, the demo, the scheduler."""
    folder = tmp_path_factory.mktemp("readme")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env |= {
        "GRANTFLOW_DATA_DIR": str(folder / "data"),
        "GRANTFLOW_PORT": str(port),
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    }
    for step in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            [BIN / "grantflow", *step], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [BIN / "grantflow", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_a_sweep(base, server, folder / "serve.log")
        yield base, env, folder
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for_a_sweep(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until the server answers and its scheduler has swept once (a condition, not a delay)."""
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        assert server.poll() is None, log.read_text()
        try:
            health = httpx.get(f"{base}/health", timeout=5).json()
            if health["scheduler"]["last_sweep_completed_at"] is not None:
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the demo server did not come up:\n{log.read_text()}")


def test_every_run_block_of_the_readme_works_against_a_fresh_demo(
    demo: tuple[str, dict[str, str], Path],
) -> None:
    base, env, folder = demo
    script = PRELUDE + "".join(
        f"echo '--- README line {b.line}'\n{b.body.replace('localhost:8000', base)}\n"
        for b in blocks("run")
    )
    ran = subprocess.run(
        ["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    said = ran.stdout + ran.stderr
    assert ran.returncode == 0, said

    # The first write example moved Botkyrka's case, which the demo leaves waiting.
    found = httpx.get(f"{base}/cases", params={"q": "Botkyrka"}, headers=CASEWORKER).json()
    case = found["items"][0]
    assert case["state"] == "invited"
    history = httpx.get(f"{base}/cases/{case['id']}/history", headers=CASEWORKER).json()
    assert [e["transition"] for e in history][-1] == "invite"
    assert '"state":"interest_registered"' in said  # as_of, before the invitation
    assert '"ok":true' in said  # the auditor's verification
    # The doctor found nothing wrong, and the backup is whole under its own name only.
    assert "FAIL" not in said and "ok   scheduler" in said
    assert (folder / "grantflow-backup.tar").stat().st_size > 0
    assert not list(folder.glob("*.partial"))


@pytest.mark.parametrize("block", blocks("commands"), ids=lambda b: f"line-{b.line}")
def test_every_command_and_option_the_readme_names_exists(block: Block) -> None:
    settings = {f"GRANTFLOW_{name.upper()}" for name in Settings.model_fields}
    runner = CliRunner()
    for line in block.body.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            assert words[1].split("=")[0] in settings, line
        elif words[0] == "make":
            dry = subprocess.run(["make", "-n", words[1]], cwd=ROOT, capture_output=True)
            assert dry.returncode == 0, line
        else:
            assert words[0] == "grantflow", line
            path = []
            for word in words[1:]:
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                path.append(word)
            helped = runner.invoke(app, [*path, "--help"])
            assert helped.exit_code == 0, f"{line}\n{helped.output}"
            named = re.findall(r"--[a-z][a-z-]*", line.split(" #")[0])
            missing = [option for option in named if option not in helped.output]
            assert not missing, f"{line}: no {missing} in\n{helped.output}"
