"""Archive packages (E-ARK CSIP / FGS): a Delmos programme's closed cases as a zip whose METS and
PREMIS validate against their own schemas (kept in tests/fixtures/archive-schemas, no network),
whose documents match their checksums, and whose audit events each prove their place in the log."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema

from tests.support import Api
from workflow.merkle import inclusion_path, inclusion_paths, leaf_hash

SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "archive-schemas"
TOOL = Path(__file__).resolve().parent.parent / "tools" / "verify_audit_proof.py"
NS = {
    "mets": "http://www.loc.gov/METS/",
    "premis": "http://www.loc.gov/premis/v3",
    "xlink": "http://www.w3.org/1999/xlink",
}
HREF = f"{{{NS['xlink']}}}href"


@cache
def schemas() -> tuple[xmlschema.XMLSchema, xmlschema.XMLSchema]:
    """METS 1.12 and PREMIS 3.0 from the copies here alone: METS imports XLink from loc.gov,
    which the locations map answers with the copy, and `allow="sandbox"` refuses anything
    outside this folder (no network, ever)."""
    local = {"allow": "sandbox", "base_url": str(SCHEMAS), "use_fallback": False}
    mets = xmlschema.XMLSchema(
        str(SCHEMAS / "mets.xsd"),
        locations={NS["xlink"]: str(SCHEMAS / "xlink.xsd")},
        **local,  # type: ignore[arg-type]
    )
    premis = xmlschema.XMLSchema(str(SCHEMAS / "premis-v3-0.xsd"), **local)  # type: ignore[arg-type]
    return mets, premis


def the_verifier():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("verify_audit_proof", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def attach(api: Api, case_id: int, name: str, content: bytes, who: str = "caseworker") -> str:
    answer = api.post(who, f"/cases/{case_id}/attachments", files={"file": (name, content)})
    assert answer.status_code == 201, answer.text
    return answer.json()["sha256"]


def delmos_cases(api: Api) -> dict[str, int]:
    """Three Delmos cases: one declined with its files, one rejected, one still running."""
    declined = api.create_case("knivsta", "delmos-2018", "Kartläggning i Knivsta")["id"]
    attach(api, declined, "Intresseanmälan Knivsta.pdf", b"%PDF-1.4 intresse knivsta", "knivsta")
    attach(api, declined, "budget.csv", "post;belopp\nlöner;400000\n".encode())
    api.move("caseworker", declined, "decline_interest", reason="Utanför syftet")

    rejected = api.create_case("heby", "delmos-2018", "Kartläggning i Heby")["id"]
    api.move("caseworker", rejected, "invite", note="Välkommen")
    api.move("heby", rejected, "apply_mapping", requested_amount="300000")
    attach(api, rejected, "Ansökan Västerås ö.pdf", b"%PDF-1.4 ansokan heby", "heby")
    api.move("caseworker", rejected, "reject", reason="Medlen räcker inte")

    running = api.create_case("knivsta", "delmos-2018", "Fortfarande igång")["id"]
    attach(api, running, "pågår.txt", b"still running")
    return {"declined": declined, "rejected": rejected, "running": running}


def unzipped(content: bytes) -> tuple[str, dict[str, bytes]]:
    """The package's folder and its files by their path inside it."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        names = package.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in package.infolist())
        folder = names[0].split("/", 1)[0]
        assert all(n.startswith(f"{folder}/") for n in names)
        return folder, {n.split("/", 1)[1]: package.read(n) for n in names}


def listed_in_mets(mets: ET.Element) -> dict[str, dict[str, str]]:
    """Every file METS names (fileSec files and dmdSec/amdSec references), by its path."""
    listed = {}
    for file in mets.iterfind(".//mets:fileSec//mets:file", NS):
        location = file.find("mets:FLocat", NS)
        assert location is not None
        listed[location.attrib[HREF]] = dict(file.attrib)
    for ref in mets.iterfind(".//mets:mdRef", NS):
        listed[ref.attrib[HREF]] = dict(ref.attrib)
    return listed


def premis_fixity(premis: ET.Element) -> dict[str, tuple[str, int]]:
    found = {}
    for obj in premis.iterfind("premis:object", NS):
        path = obj.findtext("premis:objectIdentifier/premis:objectIdentifierValue", "", NS)
        digest = obj.findtext(".//premis:fixity/premis:messageDigest", "", NS)
        size = obj.findtext(".//premis:size", "", NS)
        found[path] = (digest, int(size))
    return found


def test_a_delmos_programme_package_validates_holds_every_document_and_proves_every_event(
    api: Api, tmp_path: Path
) -> None:
    ids = delmos_cases(api)
    answer = api.get("auditor", "/programmes/delmos-2018/archive")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    folder, files = unzipped(answer.content)
    assert folder == "grantflow-delmos-2018"

    mets_schema, premis_schema = schemas()
    mets_schema.validate(files["METS.xml"].decode())
    premis_schema.validate(files["metadata/preservation/premis.xml"].decode())
    mets = ET.fromstring(files["METS.xml"])
    assert mets.attrib["OBJID"] == "grantflow-delmos-2018"
    assert mets.attrib["PROFILE"] == "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
    assert mets.find("mets:metsHdr/mets:agent/mets:name", NS).text.startswith("Delegationen")  # type: ignore[union-attr]

    # Every file but METS.xml itself is in METS with its size and SHA-256, and in PREMIS.
    listed = listed_in_mets(mets)
    fixity = premis_fixity(ET.fromstring(files["metadata/preservation/premis.xml"]))
    assert set(listed) == set(files) - {"METS.xml"}
    assert set(fixity) == set(files) - {"METS.xml", "metadata/preservation/premis.xml"}
    for path, data in files.items():
        if path == "METS.xml":
            continue
        digest = hashlib.sha256(data).hexdigest()
        assert listed[path]["CHECKSUM"] == digest and listed[path]["CHECKSUMTYPE"] == "SHA-256"
        assert int(listed[path]["SIZE"]) == len(data)
        if path in fixity:
            assert fixity[path] == (digest, len(data))

    # The documents of the closed cases, and only those, each as the attachment store has it.
    documents = {p: d for p, d in files.items() if p.startswith("representations/rep1/data/")}
    stored = {
        a["sha256"]
        for case in (ids["declined"], ids["rejected"])
        for a in api.get("auditor", f"/cases/{case}/attachments").json()
    }
    assert {hashlib.sha256(d).hexdigest() for d in documents.values()} == stored
    assert len(documents) == 3
    assert all(p.isascii() and " " not in p for p in documents)
    package = json.loads(files["metadata/descriptive/package.json"])
    assert [c["case_id"] for c in package["not_archived"]] == [ids["running"]]

    # Every event of the archived cases, each proved against the one signed checkpoint.
    lines = files["metadata/other/audit/events.jsonl"].decode().splitlines()
    proofs = [json.loads(p) for p in files["metadata/other/audit/proofs.jsonl"].splitlines()]
    case_ids = {json.loads(line)["case_id"] for line in lines}
    assert case_ids == {ids["declined"], ids["rejected"]}
    assert [p["line"] for p in proofs] == lines
    history = api.history("auditor", ids["rejected"], refusals=True)
    assert {e["seq"] for e in history} <= {p["seq"] for p in proofs}
    note = files["metadata/other/audit/checkpoint.txt"].decode()
    key = files["metadata/other/audit/note-key.txt"].decode().strip()
    verifier = the_verifier()
    size, root = verifier.read_checkpoint(note, key)
    for proof in proofs:
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        leaf = leaf_hash(proof["line"])
        assert verifier.inclusion_holds(proof["leaf_index"], size, leaf, path, root), proof["seq"]
    # And one of them as an archivist would check it, by the tool in a process of its own.
    (tmp_path / "checkpoint").write_text(note, encoding="utf-8")
    (tmp_path / "proof.json").write_text(json.dumps(proofs[-1]), encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(TOOL), "inclusion", str(tmp_path / "proof.json"),
         "--checkpoint", str(tmp_path / "checkpoint"), "--key", key],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_the_same_records_give_the_same_package_but_for_its_creation_time(api: Api) -> None:
    ids = delmos_cases(api)
    first = api.get("admin", f"/cases/{ids['declined']}/archive")
    second = api.get("auditor", f"/cases/{ids['declined']}/archive")
    assert first.status_code == second.status_code == 200
    _, one = unzipped(first.content)
    _, two = unzipped(second.content)
    assert one.keys() == two.keys()
    assert [p for p in one if one[p] != two[p]] in ([], ["METS.xml"])

    def without_creation(mets: bytes) -> dict[str, Any]:
        root = ET.fromstring(mets)
        header = root.find("mets:metsHdr", NS)
        assert header is not None
        header.attrib.pop("CREATEDATE")
        return {"xml": ET.tostring(root)}

    assert without_creation(one["METS.xml"]) == without_creation(two["METS.xml"])


def test_a_case_still_running_is_refused_with_a_409_problem_and_nothing_written(
    api: Api, tmp_path: Path, settings
) -> None:
    ids = delmos_cases(api)
    refused = api.get("auditor", f"/cases/{ids['running']}/archive")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "/problems/not-closed" and problem["state"] == "interest_registered"
    assert api.get("caseworker", f"/cases/{ids['declined']}/archive").status_code == 403
    assert api.get("knivsta", f"/cases/{ids['declined']}/archive").status_code == 403

    env = {
        **os.environ,
        "GRANTFLOW_ENVIRONMENT": "test",
        "GRANTFLOW_DATABASE_URL": settings.database_url,
        "GRANTFLOW_DATA_DIR": str(settings.data_dir),
        "GRANTFLOW_RUN_SCHEDULER": "false",
    }
    cli = [sys.executable, "-m", "services.cli", "archive"]
    target = tmp_path / "out" / "running.zip"
    target.parent.mkdir()
    run = subprocess.run(
        [*cli, "case", str(ids["running"]), "--out", str(target)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert run.returncode == 1 and "final state" in run.stderr
    assert list(target.parent.iterdir()) == []
    done = subprocess.run(
        [*cli, "case", str(ids["declined"]), "--out", str(target)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert unzipped(target.read_bytes())[0].startswith("grantflow-DELMOS-18-")


def test_proofs_of_many_events_at_once_are_the_proofs_of_each() -> None:
    for n in range(1, 40):
        leaves = [leaf_hash(f'{{"seq":{i}}}') for i in range(n)]
        assert inclusion_paths(range(n), leaves) == [inclusion_path(i, leaves) for i in range(n)]


def test_a_document_no_longer_matching_its_recorded_hash_stops_the_package(
    api: Api, settings
) -> None:
    ids = delmos_cases(api)
    digest = attach(api, ids["running"], "late.pdf", b"%PDF-1.4 late")
    api.move("caseworker", ids["running"], "decline_interest", reason="Sent")
    (settings.data_dir / "attachments" / digest[:2] / digest).write_bytes(b"changed")
    refused = api.get("auditor", f"/cases/{ids['running']}/archive")
    assert refused.status_code == 409
    assert refused.json()["sha256"] == digest
