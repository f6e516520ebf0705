"""Writing an archive package (E-ARK CSIP / FGS submission information package) as a zip that
the same records always give byte for byte, but for the creation time in METS.xml's header."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable
from importlib import metadata
from typing import IO, Any

from config.settings import Settings
from services.archiving.mets import PackedFile, mets_xml
from services.archiving.premis import premis_xml
from services.archiving.records import Archiver, Document, Records
from services.auditing.checkpoints import origin_of
from services.auditing.signing import signing_key
from services.container import Services
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.audit_chain import format_time

# Every entry is dated 1980-01-01 (the zip format's first day) and readable by all: the bytes
# depend on the records alone.
EPOCH = (1980, 1, 1, 0, 0, 0)
AUDIT = "metadata/other/audit"
README_PATH = "documentation/README.txt"
README = """\
This is an E-ARK CSIP / FGS submission information package written by grantflow.

METS.xml                       what the package holds, every file with its size and SHA-256
metadata/descriptive/          the package and each case (JSON), as grantflow knew them
metadata/preservation/premis.xml   PREMIS 3: every file's SHA-256, who made it and when
metadata/other/audit/events.jsonl  every audit event of the cases, exactly the bytes hashed
metadata/other/audit/proofs.jsonl  for each event, its RFC 9162 inclusion proof
metadata/other/audit/checkpoint.txt  the signed checkpoint (C2SP) every proof leads to
metadata/other/audit/note-key.txt    the key that signed it
representations/rep1/data/     the documents of each case, in a folder named by its reference

How to check it: grantflow's docs/ARCHIVE.md, or the recipe below.

1. Unzip; for every file METS.xml lists (fileSec file, dmdSec and amdSec mdRef), its size and
   SHA-256 are those given (CHECKSUM); premis.xml's fixity says the same.
2. Each line of proofs.jsonl is the RFC 9162 inclusion proof of the event on the same line of
   events.jsonl (its `line`): the path from the event's leaf to the root of the whole audit
   log in checkpoint.txt (grantflow's tools/verify_audit_proof.py inclusion checks one).
3. checkpoint.txt is a signed note: check it with note-key.txt, and keep the root apart.
"""


def archiver_of(services: Services, settings: Settings) -> Archiver:
    """The archiver an entry point uses: the proofs are signed with the service's audit key."""
    return Archiver(
        services.catalogue.lifecycle,
        services.programmes,
        services.views,
        services.attachments,
        services.clock,
        signing_key(settings),
        origin_of(settings.public_url),
    )


def software() -> tuple[str, str]:
    try:
        return "grantflow", metadata.version("grantflow")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "grantflow", "unknown"


def package_name(records: Records) -> str:
    return f"{records.objid}.zip"


def write_package(
    archiver: Archiver,
    uow: UnitOfWork,
    actor: Actor,
    records: Records,
    out: IO[bytes],
    created: dt.datetime,
) -> None:
    """Write the package to `out`; a document whose bytes no longer match its recorded
    SHA-256 stops it (409), so an entry point writes somewhere it can throw away."""
    texts = _metadata(records)
    texts[README_PATH] = README.encode()
    documentation = [_packed(README_PATH, texts[README_PATH], records)]
    descriptive = [
        _packed(path, data, records) for path, data in texts.items() if "/descriptive/" in path
    ]
    audit = [_packed(path, data, records) for path, data in texts.items() if path.startswith(AUDIT)]
    documents = {d.path: d for c in records.cases for d in c.documents}
    doc_files = [_document(d) for d in documents.values()]
    originals = {d.path: d.attachment.filename for d in documents.values()}
    every = [*descriptive, *audit, *documentation, *doc_files]
    premis = premis_xml(records, every, originals, software())
    texts["metadata/preservation/premis.xml"] = premis
    provenance = [_packed("metadata/preservation/premis.xml", premis, records), *audit]
    texts["METS.xml"] = mets_xml(
        records,
        descriptive,
        provenance,
        documentation,
        doc_files,
        software(),
        format_time(created),
    )

    def content(path: str) -> bytes:
        if path in texts:
            return texts[path]
        return archiver.content(uow, actor, documents[path])

    _zip(out, records.objid, sorted([*texts, *documents]), content)


def _metadata(records: Records) -> dict[str, bytes]:
    """The package's own metadata files, by their path in the package."""
    files = {
        "metadata/descriptive/package.json": _json(
            {
                "objid": records.objid,
                "programme": records.programme,
                "funder": records.funder,
                "cases": [c.reference for c in records.cases],
                # A programme being wound down may still have cases running: named, not packed.
                "not_archived": records.not_archived,
                "audit_log": {
                    "tree_size": records.proofs[0]["tree_size"] if records.proofs else None,
                    "root_hash": records.proofs[0]["root_hash"] if records.proofs else None,
                    "events": len(records.events),
                },
            }
        ),
        f"{AUDIT}/events.jsonl": "".join(f"{line}\n" for line in records.events).encode(),
        f"{AUDIT}/proofs.jsonl": "".join(
            json.dumps(proof, sort_keys=True, ensure_ascii=False) + "\n" for proof in records.proofs
        ).encode(),
        f"{AUDIT}/checkpoint.txt": records.checkpoint.encode(),
        f"{AUDIT}/note-key.txt": f"{records.note_key}\n".encode(),
    }
    for archived in records.cases:
        path = f"metadata/descriptive/cases/{archived.reference}.json"
        files[path] = _json(archived.description)
    return files


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


MIMETYPES = {".json": "application/json", ".jsonl": "application/x-ndjson", ".xml": "text/xml"}


def _packed(path: str, data: bytes, records: Records) -> PackedFile:
    mimetype = MIMETYPES.get(path[path.rfind(".") :], "text/plain")
    sha256 = hashlib.sha256(data).hexdigest()
    return PackedFile(path, len(data), sha256, mimetype, records.last_event_at)


def _document(document: Document) -> PackedFile:
    attachment = document.attachment
    at = attachment.uploaded_at
    received = document.event.get("at") or format_time(
        at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    )
    return PackedFile(
        document.path, attachment.size, attachment.sha256, attachment.content_type, received
    )


def _zip(out: IO[bytes], folder: str, paths: list[str], content: Callable[[str], bytes]) -> None:
    """Entries in one folder named by the package (CSIP: the package folder bears its id),
    sorted, each dated EPOCH, so the bytes depend on the content alone."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for path in paths:
            entry = zipfile.ZipInfo(f"{folder}/{path}", date_time=EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so the permissions below are read as such
            entry.external_attr = 0o644 << 16
            package.writestr(entry, content(path))
