"""The audit log holds: the database refuses to rewrite it, and verification catches what slips past."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.support import Api, edit_stored_payload, stored_payload

MARKER = "Ursprunglig motivering"


def declined_case(api: Api) -> tuple[dict, int]:
    case = api.create_case("knivsta", "delmos-2018")
    api.move("caseworker", case["id"], "decline_interest", reason=MARKER)
    api.create_case("heby", "delmos-2018")  # later events, which the broken one must not hide
    seq = next(
        e["seq"]
        for e in api.history("auditor", case["id"])
        if e["transition"] == "decline_interest"
    )
    return case, seq


def sealed_reason(db, seq: int) -> str:
    """The sealed text of the event's reason: a person's words are stored under their key."""
    with db.engine.connect() as conn:
        payload = stored_payload(conn, seq)
    assert MARKER not in payload
    return json.loads(payload)["reason"]["sealed"]


def tamper(database_url: str, db, seq: int) -> None:
    """Change one event's content without going through the service: one character of its
    sealed reason, which is all a forger without the key can do to it (packed again as the
    table stores it, so the row still reads)."""
    original = sealed_reason(db, seq)
    forged = ("B" if original[0] == "A" else "A") + original[1:]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        edit_stored_payload(conn, seq, lambda payload: payload.replace(original, forged))
        if not db.is_sqlite:
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    db.dispose()


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The data folder beside the test's database: a CLI run writes nothing into the working tree.
    sqlite = database_url.startswith("sqlite")
    data_dir = (
        str(Path(str(make_url(database_url).database)).parent) if sqlite else tempfile.mkdtemp()
    )
    env = {**os.environ, "GRANTFLOW_DATABASE_URL": database_url, "GRANTFLOW_DATA_DIR": data_dir}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_an_untouched_chain_verifies_from_the_cli_and_the_api(api: Api, database_url: str) -> None:
    declined_case(api)
    result = run_cli(database_url, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "audit chain verifies" in result.stdout
    body = api.get("auditor", "/audit/verify").json()
    assert body["ok"] is True and body["first_bad_seq"] is None and body["events_checked"] >= 4


def test_editing_an_audit_row_behind_the_services_back_fails_verification_naming_it(
    api: Api, app, database_url: str
) -> None:
    _, seq = declined_case(api)
    tamper(database_url, app.state.services.units.db, seq)

    result = run_cli(database_url, "audit", "verify")
    assert result.returncode == 1
    assert f"broken at event {seq}" in result.stderr
    assert "hash does not match" in result.stderr
    body = api.get("auditor", "/audit/verify").json()
    assert body["ok"] is False and body["first_bad_seq"] == seq


def test_update_delete_and_truncate_on_the_audit_table_are_refused_by_the_database(
    api: Api, app
) -> None:
    declined_case(api)
    statements = ["UPDATE audit_event SET case_id = case_id", "DELETE FROM audit_event"]
    if not app.state.services.units.db.is_sqlite:
        statements.append("TRUNCATE audit_event")  # SQLite has no TRUNCATE; its DELETE is refused
    for statement in statements:
        with (
            pytest.raises(DBAPIError, match="append-only"),
            app.state.services.units.db.engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert api.get("auditor", "/audit/verify").json()["ok"] is True


def test_events_cut_from_the_end_of_the_chain_are_detected(api: Api, app) -> None:
    declined_case(api)
    engine = app.state.services.units.db.engine
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
        if app.state.services.units.db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM audit_event WHERE seq = :seq"), {"seq": last})
    body = api.get("auditor", "/audit/verify").json()
    assert body["ok"] is False
    assert body["first_bad_seq"] == last
    assert "missing" in body["problem"]


def test_every_event_links_to_the_one_before(api: Api) -> None:
    case, _ = declined_case(api)
    events = api.history("auditor", case["id"])
    assert events[1]["prev_hash"] != events[0]["prev_hash"]
    assert all(len(e["hash"]) == 64 for e in events)
    times = [e["at"] for e in events]
    assert times == sorted(times)
