"""The package's root METS.xml (METS 1.12) as the E-ARK CSIP and Riksarkivet's FGS profile it:
who made the package, its metadata by reference, every document with size and SHA-256, and the
CSIP structure map."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from services.archiving.records import Records

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
SCHEMA_LOCATION = f"{METS} http://www.loc.gov/standards/mets/mets.xsd"
for prefix, uri in (("mets", METS), ("xlink", XLINK), ("xsi", XSI), ("csip", CSIP)):
    ET.register_namespace(prefix, uri)


@dataclass(frozen=True)
class PackedFile:
    """A file in the package, relative to its root, as METS and PREMIS describe it."""

    path: str
    size: int
    sha256: str
    mimetype: str
    created: str  # when the file came to be: an event's time, so the same records give the same


def m(tag: str) -> str:
    return f"{{{METS}}}{tag}"


def mets_xml(
    records: Records,
    descriptive: Sequence[PackedFile],
    provenance: Sequence[PackedFile],
    documentation: Sequence[PackedFile],
    documents: Sequence[PackedFile],
    software: tuple[str, str],
    created: str,
) -> bytes:
    """METS.xml; `created` (metsHdr CREATEDATE) is the one thing that differs between two
    packages of the same records."""
    root = ET.Element(
        m("mets"),
        {
            "OBJID": records.objid,
            "LABEL": records.label,
            "TYPE": "Mixed",
            "PROFILE": PROFILE,
            f"{{{CSIP}}}CONTENTINFORMATIONTYPE": "OTHER",
            f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE": "grantflow case records",
            f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION,
        },
    )
    _header(root, records, software, created)
    dmd_ids = [f"dmd-{i}" for i in range(1, len(descriptive) + 1)]
    for dmd_id, packed in zip(dmd_ids, descriptive, strict=True):
        section = ET.SubElement(
            root, m("dmdSec"), ID=dmd_id, CREATED=records.last_event_at, STATUS="CURRENT"
        )
        _reference(section, packed, "OTHER", "grantflow-case-json")
    amd = ET.SubElement(root, m("amdSec"))
    amd_ids = []
    for i, packed in enumerate(provenance, 1):
        amd_ids.append(f"digiprov-{i}")
        section = ET.SubElement(amd, m("digiprovMD"), ID=amd_ids[-1], STATUS="CURRENT")
        if packed.path.endswith("premis.xml"):
            _reference(section, packed, "PREMIS", "")
        else:
            _reference(section, packed, "OTHER", "grantflow-audit-log")
    file_sec = ET.SubElement(root, m("fileSec"), ID="filesec-1")
    numbers = iter(range(1, len(documentation) + len(documents) + 1))
    for group_id, use, files in (
        ("filegrp-documentation", "Documentation", documentation),
        ("filegrp-rep1", "Representations/rep1", documents),
    ):
        if not files:  # a case closed without a single file has no representation to list
            continue
        group = ET.SubElement(file_sec, m("fileGrp"), ID=group_id, USE=use)
        for packed in files:
            entry = ET.SubElement(
                group,
                m("file"),
                ID=f"file-{next(numbers)}",
                MIMETYPE=packed.mimetype,
                SIZE=str(packed.size),
                CREATED=packed.created,
                CHECKSUM=packed.sha256,
                CHECKSUMTYPE="SHA-256",
            )
            _locate(ET.SubElement(entry, m("FLocat")), packed.path)
    _structure(root, records.objid, dmd_ids, amd_ids, bool(documentation), bool(documents))
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _header(root: ET.Element, records: Records, software: tuple[str, str], created: str) -> None:
    header = ET.SubElement(
        root,
        m("metsHdr"),
        {"CREATEDATE": created, "RECORDSTATUS": "NEW", f"{{{CSIP}}}OAISPACKAGETYPE": "SIP"},
    )
    if records.funder:
        agency = ET.SubElement(header, m("agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
        ET.SubElement(agency, m("name")).text = records.funder
    name, version = software
    tool = ET.SubElement(header, m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    ET.SubElement(tool, m("name")).text = name
    ET.SubElement(tool, m("note"), {f"{{{CSIP}}}NOTETYPE": "SOFTWARE VERSION"}).text = version


def _reference(section: ET.Element, packed: PackedFile, mdtype: str, other: str) -> None:
    wrap = ET.SubElement(section, m("mdRef"), LOCTYPE="URL")
    _locate(wrap, packed.path)
    wrap.set("MDTYPE", mdtype)
    if other:
        wrap.set("OTHERMDTYPE", other)
    for name, value in (
        ("MIMETYPE", packed.mimetype),
        ("SIZE", str(packed.size)),
        ("CREATED", packed.created),
        ("CHECKSUM", packed.sha256),
        ("CHECKSUMTYPE", "SHA-256"),
    ):
        wrap.set(name, value)


def _locate(element: ET.Element, path: str) -> None:
    element.set("LOCTYPE", "URL")
    element.set(f"{{{XLINK}}}type", "simple")
    element.set(f"{{{XLINK}}}href", path)


def _structure(
    root: ET.Element,
    objid: str,
    dmd_ids: list[str],
    amd_ids: list[str],
    documentation: bool,
    files: bool,
) -> None:
    """CSIP's structure: the package, its metadata, and one representation of the documents."""
    struct = ET.SubElement(root, m("structMap"), ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    package = ET.SubElement(struct, m("div"), ID="div-package", LABEL=objid)
    ET.SubElement(
        package,
        m("div"),
        ID="div-metadata",
        LABEL="Metadata",
        DMDID=" ".join(dmd_ids),
        ADMID=" ".join(amd_ids),
    )
    if documentation:
        notes = ET.SubElement(package, m("div"), ID="div-documentation", LABEL="Documentation")
        ET.SubElement(notes, m("fptr"), FILEID="filegrp-documentation")
    representation = ET.SubElement(package, m("div"), ID="div-rep1", LABEL="Representations/rep1")
    if files:
        ET.SubElement(representation, m("fptr"), FILEID="filegrp-rep1")
