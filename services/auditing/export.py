"""Exporting the audit log as canonical JSON Lines with a manifest (docs/AUDIT.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.errors import InvalidRequest
from services.storage.unit_of_work import UnitOfWork
from workflow.audit_chain import format_time

FORMAT = "grantflow-audit-export/1"


def export_lines(uow: UnitOfWork, first: int, last: int | None) -> Iterator[str]:
    """Each event's canonical text, exactly the bytes its hash covers, one per line."""
    return uow.audit.payloads(first, last)


def manifest(uow: UnitOfWork, first: int, last: int | None, now: dt.datetime) -> dict[str, Any]:
    bounds = uow.audit.bounds(first, last)
    if bounds is None:
        raise InvalidRequest(f"no events from {first} to {last if last is not None else 'the end'}")
    (first_seq, prev_hash), (last_seq, head_hash) = bounds
    return {
        "format": FORMAT,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "count": last_seq - first_seq + 1,
        "prev_hash": prev_hash,
        "head_hash": head_hash,
        "exported_at": format_time(now),
    }


def write_export(
    uow: UnitOfWork, now: dt.datetime, directory: Path, first: int = 1, last: int | None = None
) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    info = manifest(uow, first, last, now)
    with (directory / "events.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for line in export_lines(uow, info["first_seq"], info["last_seq"]):
            out.write(line + "\n")
    info["events_sha256"] = hashlib.sha256((directory / "events.jsonl").read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return info
