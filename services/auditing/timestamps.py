"""Trusted time for the audit log: each day a signed checkpoint of the log (the tree's size and
root), timestamped by an RFC 3161 authority, recorded in the log itself. The request is made
with the `openssl ts` command, which every server has; the token is the authority's answer."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services import audit
from services.auditing.checkpoints import checkpoint
from services.storage.audit_log import EventFilter
from services.storage.keeping import Deadline
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import SYSTEM
from workflow.audit_chain import format_time
from workflow.statuses import EventKind

CHECKPOINT_KIND = "audit_checkpoint"
RECORDED = "checkpoint_recorded"


class TimestampFailed(RuntimeError):
    pass


def stamp(note: str, url: str, timeout: float = 10) -> bytes:
    """The authority's timestamp token (a DER TimeStampResp) over the note's SHA-256."""
    with tempfile.TemporaryDirectory() as folder:
        data, query = Path(folder) / "note", Path(folder) / "query.tsq"
        data.write_text(note, encoding="utf-8")
        made = subprocess.run(
            ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if made.returncode != 0:
            raise TimestampFailed(f"openssl ts -query: {made.stderr.strip()}")
        request = query.read_bytes()
    try:
        answer = httpx.post(
            url,
            content=request,
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout,
        )
        answer.raise_for_status()
    except httpx.HTTPError as away:
        raise TimestampFailed(f"the time-stamping authority {url}: {away}") from None
    return answer.content


class DailyCheckpoint:
    """A job of the service kept in the deadline table: at 00:10 UTC, record the day's signed
    checkpoint, timestamped where an authority is set. An authority that does not answer fails
    the job, which is tried again and becomes an incident, as any deadline does."""

    kind = CHECKPOINT_KIND
    at = dt.time(0, 10)

    def __init__(self, key: Ed25519PrivateKey, origin: str, tsa_url: str) -> None:
        self.key, self.origin, self.tsa_url = key, origin, tsa_url

    def plan(self, uow: UnitOfWork, now: dt.datetime) -> None:
        if not uow.deadlines.any_pending(self.kind):
            uow.deadlines.plan_once(self._next(now, "service#audit.daily_checkpoint"))

    def fire(self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> str:
        note = checkpoint(uow, self.key, self.origin)
        # The authority is asked inside this unit of work (its timeout is short): the token
        # must be recorded with the checkpoint it covers, or not at all.
        token = stamp(note, self.tsa_url) if self.tsa_url else None
        audit.record(
            uow,
            kind=EventKind.fact,
            actor=SYSTEM,
            now=now,
            transition=RECORDED,
            details={
                "checkpoint": note,
                "timestamp": base64.b64encode(token).decode() if token else None,
                "tsa": self.tsa_url or None,
            },
        )
        uow.deadlines.plan_once(self._next(now, deadline.rule))
        size = note.split("\n")[1]
        return f"checkpoint of {size} events{', timestamped' if token else ''}"

    def _next(self, now: dt.datetime, rule: str) -> Deadline:
        today = dt.datetime.combine(now.astimezone(dt.UTC).date(), self.at, tzinfo=dt.UTC)
        due = today if today > now else today + dt.timedelta(days=1)
        return Deadline(kind=self.kind, due_at=due, time_zone="UTC", rule=rule, created_at=now)


def recorded(uow: UnitOfWork, after_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """The checkpoints recorded in the log, oldest first, each with its timestamp token."""
    events = uow.audit.search(EventFilter(transition=RECORDED), after_seq, limit)
    return [
        {"seq": e.seq, "at": format_time(e.at), **json.loads(e.payload)["details"]} for e in events
    ]
