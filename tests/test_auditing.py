"""The auditor's toolkit, checked the way an auditor who trusts nothing would check it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from services import audit
from services.auditing.export import write_export
from services.auditing.signing import (
    DailyHeadSigning,
    sign_head,
    signing_key,
    verify_against_head,
)
from services.deadlines.keeper import DeadlineKeeper
from services.storage.audit_encoding import pack, unpack
from tests.support import Api
from workflow.actors import SYSTEM
from workflow.audit_chain import canonical, hash_of
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "tools" / "verify_audit_export.py"


def some_history(api: Api, clock: SettableClock, cases: int = 3) -> list[int]:
    ids = []
    for i in range(cases):
        case = api.create_case("knivsta", "delmos-2018", f'Ärende {i} – Västerås "citat"')
        clock.advance(dt.timedelta(hours=5))
        api.move("caseworker", case["id"], "invite", note="Välkommen\nny rad")
        ids.append(case["id"])
    return ids


def export_log(app, directory: Path, **range_: int) -> dict:
    services = app.state.services
    with services.units.reading() as uow:
        return write_export(uow, services.clock.now(), directory, **range_)


def verify(app) -> audit.Verification:
    with app.state.services.units.reading() as uow:
        return audit.verify(uow)


def still_leads_to(app, head: dict) -> tuple[bool, str]:
    with app.state.services.units.reading() as uow:
        return verify_against_head(uow, head, head["public_key"])


def run_verifier(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # A separate process with no access to the project: only the standard library and the files.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd="/",
    )


def test_the_verifier_is_standard_library_only_and_short() -> None:
    source = VERIFIER.read_text()
    assert len(source.splitlines()) < 100
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= set(sys.stdlib_module_names)


def test_an_export_verifies_outside_the_service_and_any_edit_is_named(
    api: Api, app, clock: SettableClock, tmp_path: Path
) -> None:
    some_history(api, clock)
    export = tmp_path / "export"
    info = export_log(app, export)
    assert info["first_seq"] == 1 and info["count"] == info["last_seq"]
    ok = run_verifier(export)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"OK: {info['count']} events" in ok.stdout

    lines = (export / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    flipped = tmp_path / "flipped"
    flipped.mkdir()
    (flipped / "manifest.json").write_text((export / "manifest.json").read_text())
    assert "Välkommen" not in "".join(lines)  # the caseworker's note is sealed under their key
    bad = lines.copy()
    flip = next(i for i, line in enumerate(lines) if '"to_state":"invited"' in line)
    bad[flip] = bad[flip].replace('"to_state":"invited"', '"to_state":"inviter"', 1)
    (flipped / "events.jsonl").write_text("".join(bad), encoding="utf-8")
    result = run_verifier(flipped)
    assert result.returncode == 1
    assert (
        f"line {flip + 2}" in result.stdout and "prev_hash does not match" in result.stdout
    )  # the next line no longer links

    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "manifest.json").write_text((export / "manifest.json").read_text())
    (cut / "events.jsonl").write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    result = run_verifier(cut)
    assert result.returncode == 1 and "FAIL" in result.stdout


def test_a_flipped_character_in_the_last_line_is_caught_by_the_manifest(
    api: Api, app, clock: SettableClock, tmp_path: Path
) -> None:
    some_history(api, clock, cases=1)
    export = tmp_path / "export"
    export_log(app, export)
    lines = (export / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    flipped = lines[-1].replace('"role":"caseworker"', '"role":"caseworkex"')
    assert flipped != lines[-1]
    lines[-1] = flipped
    (export / "events.jsonl").write_text("".join(lines), encoding="utf-8")
    result = run_verifier(export)
    assert result.returncode == 1 and "the manifest says" in result.stdout


def test_a_second_export_continues_the_first(
    api: Api, app, clock: SettableClock, tmp_path: Path
) -> None:
    some_history(api, clock)
    first = export_log(app, tmp_path / "first")
    some_history(api, clock)
    second = export_log(app, tmp_path / "second", first=first["last_seq"] + 1)
    assert second["prev_hash"] == first["head_hash"]
    result = run_verifier(tmp_path / "second", "--continues", tmp_path / "first")
    assert result.returncode == 0, result.stdout
    gap = export_log(app, tmp_path / "gap", first=first["last_seq"] + 2)
    assert gap["count"] > 0
    refused = run_verifier(tmp_path / "gap", "--continues", tmp_path / "first")
    assert refused.returncode == 1 and "does not continue" in refused.stdout


def test_a_rewrite_that_recomputes_every_later_hash_passes_the_chain_but_not_a_signed_head(
    api: Api, app, clock: SettableClock, tmp_path: Path
) -> None:
    some_history(api, clock)
    key = signing_key(app.state.settings)
    with app.state.services.units.writing() as uow:
        head = sign_head(uow, key, SYSTEM, clock.now())
        uow.commit()
    (tmp_path / "head.json").write_text(json.dumps(head))
    some_history(api, clock, cases=1)

    rewrite_event_and_recompute_chain(app.state.services.units.db, seq=3)
    assert verify(app).ok, "the forger's chain is valid in itself"
    ok, said = still_leads_to(app, head)
    assert not ok and f"event {head['seq']} now hashes to" in said

    export = tmp_path / "export"
    export_log(app, export)
    outside = run_verifier(export, "--head", tmp_path / "head.json")
    assert outside.returncode == 1 and "was signed" in outside.stdout
    env = {
        **os.environ,
        "GRANTFLOW_DATABASE_URL": app.state.settings.database_url,
        "GRANTFLOW_DATA_DIR": str(app.state.settings.data_dir),
    }
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "audit",
            "verify",
            "--signed-head",
            str(tmp_path / "head.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert cli.returncode == 1 and "was signed" in cli.stderr


def rewrite_event_and_recompute_chain(db, seq: int) -> None:
    """What someone with full database access would do: change an event, re-hash all after it."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        rows = conn.execute(
            text("SELECT seq, payload FROM audit_event WHERE seq >= :s ORDER BY seq"), {"s": seq}
        ).all()
        prev = bytes(
            conn.execute(
                text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq - 1}
            ).scalar_one()
        ).hex()
        for number, payload in rows:
            body = json.loads(unpack(payload))
            if number == seq:
                body["actor_name"] = "someone else"
            body["prev_hash"] = prev
            new_payload = canonical(body)
            prev = hash_of(new_payload)
            conn.execute(
                text("UPDATE audit_event SET payload = :p, hash = :h WHERE seq = :s"),
                {"p": pack(new_payload), "h": bytes.fromhex(prev), "s": number},
            )
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": bytes.fromhex(prev)})


def test_the_head_is_signed_daily_by_a_deadline_job(api: Api, app, clock: SettableClock) -> None:
    some_history(api, clock, cases=1)
    keeper = DeadlineKeeper(
        app.state.services, jobs=[DailyHeadSigning(signing_key(app.state.settings))]
    )
    keeper.sweep()  # plans tomorrow's signing
    clock.advance(dt.timedelta(days=1))
    result = keeper.sweep()
    assert result.fired == 1
    signed = api.get("auditor", "/audit/events", params={"transition": "head_signed"}).json()[
        "items"
    ]
    assert len(signed) == 1 and signed[0]["actor_name"] == "system"
    head = signed[0]["details"]["signed_head"]
    assert head["public_key"] == api.client.get("/audit/public-key").json()["public_key"]
    assert still_leads_to(app, head)[0]
    clock.advance(dt.timedelta(days=1))
    assert keeper.sweep().fired == 1, "and the next day again"


def test_auditors_search_the_log_by_actor_transition_programme_and_time(
    api: Api, clock: SettableClock
) -> None:
    start = clock.now()
    ids = some_history(api, clock)
    invites = api.get("auditor", "/audit/events", params={"transition": "invite"}).json()["items"]
    assert [e["case_id"] for e in invites] == ids
    by_actor = api.get(
        "auditor", "/audit/events", params={"actor_id": api.people.user_ids["caseworker"]}
    ).json()["items"]
    assert {e["transition"] for e in by_actor} == {"invite"}
    in_programme = api.get(
        "auditor", "/audit/events", params={"programme": "delmos-2018", "kind": "created"}
    ).json()["items"]
    assert len(in_programme) == 3
    window = api.get(
        "auditor",
        "/audit/events",
        params={
            "since": (start + dt.timedelta(hours=4)).isoformat(),
            "until": (start + dt.timedelta(hours=6)).isoformat(),
        },
    ).json()["items"]
    assert [e["transition"] for e in window] == ["invite", None]
    first = api.get("auditor", "/audit/events", params={"limit": 2}).json()
    first_page, next_page = first["items"], api.get("auditor", first["next"]).json()["items"]
    assert next_page[0]["seq"] == first_page[-1]["seq"] + 1
    csv_text = api.get(
        "auditor", "/audit/events", params={"transition": "invite", "format": "csv"}
    ).text
    assert (
        csv_text.splitlines()[0].startswith("seq,at,kind,case_id,transition")
        and len(csv_text.splitlines()) == 4
    )
    assert api.get("caseworker", "/audit/events").status_code == 403
    assert api.get("knivsta", "/audit/export").status_code == 403


def test_a_snapshot_between_two_transitions_matches_the_history_for_every_case(
    api: Api, clock: SettableClock
) -> None:
    cases = []
    for i in range(52):
        case = api.create_case("knivsta" if i % 2 else "heby", "delmos-2018", f"Case {i}")
        cases.append(case["id"])
        clock.advance(dt.timedelta(minutes=7))
        if i % 3:
            api.move("caseworker", case["id"], "invite")
            clock.advance(dt.timedelta(minutes=7))
        if i % 3 == 2:
            api.move(
                "knivsta" if i % 2 else "heby",
                case["id"],
                "apply_mapping",
                requested_amount="100000",
            )
        if i == 26:
            midpoint = clock.now() + dt.timedelta(seconds=30)
            clock.advance(dt.timedelta(minutes=1))
    snap = api.get(
        "auditor", "/programmes/delmos-2018/snapshot", params={"as_of": midpoint.isoformat()}
    ).json()
    at_midpoint = {row["id"]: row["state"] for row in snap["cases"]}
    for cid in cases:
        history = [
            e
            for e in api.history("auditor", cid)
            if e["at"] <= midpoint.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ]
        if history:
            assert at_midpoint[cid] == history[-1]["to_state"], cid
        else:
            assert cid not in at_midpoint
    assert len(at_midpoint) == 27 and set(at_midpoint.values()) == {
        "interest_registered",
        "invited",
        "mapping_applied",
    }
    csv_text = api.get(
        "auditor",
        "/programmes/delmos-2018/snapshot",
        params={"as_of": midpoint.isoformat(), "format": "csv"},
    ).text
    assert len(csv_text.splitlines()) == 28
    assert (
        api.get(
            "knivsta", "/programmes/delmos-2018/snapshot", params={"as_of": "2030-01-01"}
        ).status_code
        == 403
    )
