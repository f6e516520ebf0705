"""The package's metadata/preservation/premis.xml (PREMIS 3.0): an object with its SHA-256 for
every file, the events that made them (each case's registration, each document's receipt and
digest, taken from the audit log) and the agents behind those events."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from typing import Any

from services.archiving.mets import XSI, PackedFile
from services.archiving.records import Records

PREMIS = "http://www.loc.gov/premis/v3"
SCHEMA_LOCATION = f"{PREMIS} http://www.loc.gov/standards/premis/v3/premis.xsd"
ET.register_namespace("premis", PREMIS)
PATH = "grantflow-package-path"  # how objects are named: their path in the package
SEQ = "grantflow-audit-seq"  # how events are named: the audit event they come from


def p(tag: str) -> str:
    return f"{{{PREMIS}}}{tag}"


def premis_xml(
    records: Records,
    files: Sequence[PackedFile],
    originals: dict[str, str],
    software: tuple[str, str],
) -> bytes:
    """`files`: every file of the package but METS.xml and this one; `originals`: the name a
    document came in with, by its path."""
    root = ET.Element(p("premis"), {"version": "3.0", f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    for packed in files:
        _object(root, packed, originals.get(packed.path))
    agents: dict[str, tuple[str, str]] = {}
    for event in _events(records):
        _event(root, event)
        agents[event["agent"]] = (event["agent_name"], event["agent_type"])
    name, version = software
    _agent(root, "software", name, name, "software", version)
    if records.funder:
        _agent(root, "organization", records.funder, records.funder, "organization")
    for identifier, (agent_name, kind) in sorted(agents.items()):
        _agent(root, "grantflow-user", identifier, agent_name, kind)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, p(tag))
    element.text = text
    return element


def _object(root: ET.Element, packed: PackedFile, original: str | None) -> None:
    element = ET.SubElement(root, p("object"), {f"{{{XSI}}}type": "premis:file"})
    identifier = ET.SubElement(element, p("objectIdentifier"))
    _text(identifier, "objectIdentifierType", PATH)
    _text(identifier, "objectIdentifierValue", packed.path)
    characteristics = ET.SubElement(element, p("objectCharacteristics"))
    _text(characteristics, "compositionLevel", "0")
    fixity = ET.SubElement(characteristics, p("fixity"))
    _text(fixity, "messageDigestAlgorithm", "SHA-256")
    _text(fixity, "messageDigest", packed.sha256)
    _text(fixity, "messageDigestOriginator", "grantflow")
    _text(characteristics, "size", str(packed.size))
    designation = ET.SubElement(ET.SubElement(characteristics, p("format")), p("formatDesignation"))
    _text(designation, "formatName", packed.mimetype)
    if original is not None:
        _text(element, "originalName", original)


def _events(records: Records) -> Iterator[dict[str, Any]]:
    """Each case's registration (its `created` event), and each document's receipt and the
    digest taken of it then (its `attachment_added` event), in the audit log's words."""
    logged = {int(e["seq"]): e for e in records.readable}
    for archived in records.cases:
        created = archived.description["events"][0] if archived.description["events"] else None
        if created is not None:
            yield _from_audit(
                logged[created], "creation", f"case {archived.reference} registered",
                f"metadata/descriptive/cases/{archived.reference}.json",
            )  # fmt: skip
        for document in archived.documents:
            if not document.event:
                continue
            seq = int(document.event["seq"])
            name = document.attachment.filename
            yield _from_audit(
                logged[seq], "ingestion", f"{name} received on case {archived.reference}",
                document.path,
            )  # fmt: skip
            yield _from_audit(
                logged[seq], "message digest calculation",
                f"SHA-256 of {name} taken on receipt and kept in audit event {seq}",
                document.path, suffix="-digest",
            )  # fmt: skip


def _from_audit(
    event: dict[str, Any], kind: str, detail: str, path: str, suffix: str = ""
) -> dict[str, Any]:
    actor = event.get("actor_id")
    return {
        "id": f"{event['seq']}{suffix}",
        "type": kind,
        "at": event["at"],
        "detail": detail,
        "object": path,
        "agent": str(actor) if actor is not None else "system",
        "agent_name": event.get("actor_name") or "system",
        "agent_type": "person" if actor is not None else "software",
    }


def _event(root: ET.Element, event: dict[str, Any]) -> None:
    element = ET.SubElement(root, p("event"))
    identifier = ET.SubElement(element, p("eventIdentifier"))
    _text(identifier, "eventIdentifierType", SEQ)
    _text(identifier, "eventIdentifierValue", event["id"])
    _text(element, "eventType", event["type"])
    _text(element, "eventDateTime", event["at"])
    _text(ET.SubElement(element, p("eventDetailInformation")), "eventDetail", event["detail"])
    _text(ET.SubElement(element, p("eventOutcomeInformation")), "eventOutcome", "success")
    agent = ET.SubElement(element, p("linkingAgentIdentifier"))
    _text(agent, "linkingAgentIdentifierType", "grantflow-user")
    _text(agent, "linkingAgentIdentifierValue", event["agent"])
    linked = ET.SubElement(element, p("linkingObjectIdentifier"))
    _text(linked, "linkingObjectIdentifierType", PATH)
    _text(linked, "linkingObjectIdentifierValue", event["object"])


def _agent(
    root: ET.Element, scheme: str, identifier: str, name: str, kind: str, version: str = ""
) -> None:
    element = ET.SubElement(root, p("agent"))
    ids = ET.SubElement(element, p("agentIdentifier"))
    _text(ids, "agentIdentifierType", scheme)
    _text(ids, "agentIdentifierValue", identifier)
    _text(element, "agentName", name)
    _text(element, "agentType", kind)
    if version:
        _text(element, "agentVersion", version)
