"""Merkle proofs over the audit log (RFC 9162): one event's inclusion and one log extending an
earlier one, each checked by tools/verify_audit_proof.py in a process of its own."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import text

from config.settings import Settings
from services.api.app import create_app
from services.auditing.checkpoints import key_id, verifier_key
from services.generate import generate_cases
from tests.support import Api, add_people, edit_stored_payload
from tests.time_authority import time_authority
from workflow.clock import SettableClock
from workflow.merkle import LEAF, consistency_proof, inclusion_path, leaf_hash, root

TOOL = Path(__file__).resolve().parent.parent / "tools" / "verify_audit_proof.py"


def the_verifier():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("verify_audit_proof", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_tree_of_rfc_6962_has_its_published_root() -> None:
    # The eight leaves of the Certificate Transparency reference tests, and the root they give.
    data = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
            bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]  # fmt: skip
    leaves = [hashlib.sha256(LEAF + d).digest() for d in data]
    assert root(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert root([]).hex() == hashlib.sha256(b"").hexdigest()


def test_every_leaf_and_every_earlier_size_of_small_trees_proves_and_a_wrong_one_does_not() -> None:
    verifier = the_verifier()
    for n in range(1, 34):
        leaves = [leaf_hash(f'{{"seq":{i}}}') for i in range(n)]
        whole = root(leaves)
        for i in range(n):
            path = inclusion_path(i, leaves)
            assert verifier.inclusion_holds(i, n, leaves[i], path, whole)
            assert not verifier.inclusion_holds(i, n, leaf_hash("forged"), path, whole)
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves)
            assert verifier.consistency_holds(m, n, root(leaves[:m]), whole, proof)
            if m < n:
                assert not verifier.consistency_holds(m, n, leaf_hash("x"), whole, proof)


def verify(
    tmp_path: Path, kind: str, proof: dict, trusted: str
) -> subprocess.CompletedProcess[str]:
    file = tmp_path / f"{kind}-{proof.get('seq', proof.get('first'))}.json"
    file.write_text(json.dumps(proof), encoding="utf-8")
    flag = "--root" if kind == "inclusion" else "--first-root"
    return subprocess.run(
        [sys.executable, str(TOOL), kind, str(file), flag, trusted],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def change_event(app, seq: int) -> None:  # type: ignore[no-untyped-def]
    """Change one event behind the service's back (the table's triggers set aside)."""
    db = app.state.services.units.db
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        edit_stored_payload(conn, seq, lambda payload: payload.replace('"seq"', '"seq" '))
        if not db.is_sqlite:
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def test_for_10000_events_proofs_verify_apart_and_a_changed_event_fails_both(
    api: Api, app, tmp_path: Path
) -> None:
    services = app.state.services
    while (api.get("auditor", "/audit/tree").json()["tree_size"]) < 10_000:
        generate_cases(services, 2_000, programme="dua-2021", batch_size=1_000)
    size = api.get("auditor", "/audit/tree").json()["tree_size"]
    kept = {n: api.get("auditor", "/audit/tree", params={"tree_size": n}).json()["root_hash"]
            for n in (1, 4_096, 7_001, size)}  # fmt: skip

    for seq in (1, 2, 4_096, 4_097, 7_001, size):
        proof = api.get("auditor", "/audit/proofs/inclusion", params={"seq": seq}).json()
        checked = verify(tmp_path, "inclusion", proof, kept[size])
        assert checked.returncode == 0, (seq, checked.stderr)
    for first in (1, 4_096, 7_001):
        proof = api.get("auditor", "/audit/proofs/consistency", params={"first": first}).json()
        checked = verify(tmp_path, "consistency", proof, kept[first])
        assert checked.returncode == 0, (first, checked.stderr)
    earlier = api.get(
        "auditor", "/audit/proofs/inclusion", params={"seq": 5, "tree_size": 4_096}
    ).json()
    assert verify(tmp_path, "inclusion", earlier, kept[4_096]).returncode == 0

    change_event(app, 3_000)
    changed = api.get("auditor", "/audit/proofs/inclusion", params={"seq": 3_000}).json()
    refused = verify(tmp_path, "inclusion", changed, kept[size])
    assert refused.returncode == 1 and "FAILS" in refused.stderr
    rewritten = api.get("auditor", "/audit/proofs/consistency", params={"first": 4_096}).json()
    assert verify(tmp_path, "consistency", rewritten, kept[4_096]).returncode == 1
    # The rewritten log agrees with itself, as any rewrite does: only the root kept from before
    # exposes it.
    assert verify(tmp_path, "consistency", rewritten, rewritten["first_hash"]).returncode == 0


def test_a_proof_for_a_size_the_log_never_had_is_a_clear_422(api: Api) -> None:
    size = api.get("auditor", "/audit/tree").json()["tree_size"]
    answer = api.get("auditor", "/audit/proofs/inclusion", params={"seq": 1, "tree_size": size + 5})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_signed_checkpoint_verifies_with_the_published_key_and_carries_the_root_proofs_use(
    api: Api, tmp_path: Path
) -> None:
    note_key = api.client.get("/audit/public-key").json()["note_key"]
    answer = api.get("auditor", "/audit/checkpoint")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    note = answer.text
    origin, size, _root, blank, signature = note.split("\n")[:5]
    assert origin == "127.0.0.1:8000/audit" and blank == "" and signature.startswith("\u2014 ")
    (tmp_path / "checkpoint").write_text(note, encoding="utf-8")
    run = [sys.executable, str(TOOL)]
    checked = subprocess.run([*run, "checkpoint", str(tmp_path / "checkpoint"), "--key", note_key],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert f"a log of {size} events" in checked.stdout

    proof = api.get("auditor", "/audit/proofs/inclusion", params={"seq": 1}).json()
    (tmp_path / "proof.json").write_text(json.dumps(proof), encoding="utf-8")
    against = subprocess.run(
        [*run, "inclusion", str(tmp_path / "proof.json"), "--checkpoint",
         str(tmp_path / "checkpoint"), "--key", note_key],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert against.returncode == 0, against.stderr

    # One more event claimed, same signature: the note no longer verifies.
    forged = note.replace(f"\n{size}\n", f"\n{int(size) + 1}\n", 1)
    (tmp_path / "forged").write_text(forged, encoding="utf-8")
    refused = subprocess.run([*run, "checkpoint", str(tmp_path / "forged"), "--key", note_key],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 1 and "does not verify" in refused.stderr


def test_checkpoints_verify_whatever_characters_the_keys_base64_holds() -> None:
    # A verifier key's base64 holds "+" one time in two: it must not be taken for a separator.
    verifier = the_verifier()
    origin = "grants.agency.example/audit"
    for _ in range(64):
        key = Ed25519PrivateKey.generate()
        body = f"{origin}\n5\n{base64.b64encode(os.urandom(32)).decode()}\n"
        signature = base64.b64encode(key_id(origin, key) + key.sign(body.encode())).decode()
        note = f"{body}\n\u2014 {origin} {signature}\n"
        assert verifier.read_checkpoint(note, verifier_key(origin, key))[0] == 5


def test_a_daily_checkpoint_timestamped_by_a_local_authority_verifies_and_another_does_not(
    database_url: str, tmp_path: Path, clock: SettableClock
) -> None:
    with time_authority(tmp_path / "tsa") as authority:
        settings = Settings(
            environment="test", database_url=database_url, data_dir=tmp_path / "data",
            run_scheduler=False, tsa_url=authority.url,
        )  # fmt: skip
        app = create_app(settings, clock)
        with TestClient(app) as client:
            api = Api(client, add_people(app.state.services.units, clock))
            app.state.keeper.sweep()  # plans the day's jobs
            clock.set(dt.datetime(2017, 10, 3, 0, 11, tzinfo=dt.UTC))
            app.state.keeper.sweep()
            recorded = api.get("auditor", "/audit/checkpoints").json()
    assert len(recorded) == 1 and recorded[0]["tsa"] == authority.url
    (tmp_path / "checkpoint").write_text(recorded[0]["checkpoint"], encoding="utf-8")
    (tmp_path / "token.tsr").write_bytes(base64.b64decode(recorded[0]["timestamp"]))
    run = [sys.executable, str(TOOL), "timestamp"]
    token = ["--token", str(tmp_path / "token.tsr"), "--ca", str(authority.ca)]
    checked = subprocess.run([*run, str(tmp_path / "checkpoint"), *token],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "the checkpoint existed at" in checked.stdout

    other = recorded[0]["checkpoint"].replace("\n", "\n\n", 1)
    (tmp_path / "other").write_text(other, encoding="utf-8")
    refused = subprocess.run([*run, str(tmp_path / "other"), *token],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 1 and "does not cover" in refused.stderr
