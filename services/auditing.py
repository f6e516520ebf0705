"""The auditor's toolkit: search the log, export it for checking elsewhere, sign its head, and see
a whole programme as it stood on a date. The recipe an outside verifier follows is docs/AUDIT.md."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import exists
from sqlmodel import Session, select

from config.settings import Settings
from services import audit
from services.audit import EventKind
from services.cases import CaseService, event_public
from services.errors import Forbidden, InvalidRequest
from services.exports import csv_text
from services.schemas import CasePublic, EventPublic
from services.storage.db import Database
from services.storage.models import AuditEvent, AuditHead, Case, CaseParty, Deadline
from workflow.actors import SYSTEM, Actor, Role
from workflow.audit_chain import format_time, verify_chain

AUDIT_READERS = {Role.auditor, Role.admin}
STAFF = {Role.auditor, Role.admin, Role.caseworker, Role.approver}
SIGNING_KIND = "sign_audit_head"


def require_auditor(actor: Actor) -> None:
    if actor.role not in AUDIT_READERS:
        raise Forbidden("the audit log's search and export are for auditors")


# -- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    actor_id: int | None = None
    role: str | None = None
    transition: str | None = None
    kind: str | None = None
    programme: str | None = None
    case_id: int | None = None
    organisation_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def search(
    cases: CaseService, actor: Actor, where: EventFilter, after_seq: int = 0, limit: int = 100
) -> list[EventPublic]:
    """Events in sequence order after `after_seq`: page on by passing the last seq you got."""
    require_auditor(actor)
    query = select(AuditEvent).where(AuditEvent.seq > after_seq)
    if where.actor_id is not None:
        query = query.where(AuditEvent.actor_id == where.actor_id)
    if where.role is not None:
        query = query.where(AuditEvent.role == where.role)
    if where.transition is not None:
        query = query.where(AuditEvent.transition == where.transition)
    if where.kind is not None:
        query = query.where(AuditEvent.kind == where.kind)
    if where.case_id is not None:
        query = query.where(AuditEvent.case_id == where.case_id)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    if where.programme is not None:
        query = query.where(
            exists().where(
                Case.id == AuditEvent.case_id,
                Case.programme_id == cases.programme_id(where.programme),
            )
        )
    if where.organisation_id is not None:
        query = query.where(
            exists().where(
                CaseParty.case_id == AuditEvent.case_id,
                CaseParty.organisation_id == where.organisation_id,
            )
        )
    with cases.db.reading() as session:
        rows = session.exec(query.order_by(AuditEvent.seq).limit(max(1, min(limit, 1000)))).all()  # type: ignore[arg-type]
    return [event_public(e) for e in rows]


def search_csv(events: list[EventPublic]) -> str:
    fields = [
        "seq",
        "at",
        "kind",
        "case_id",
        "transition",
        "from_state",
        "to_state",
        "actor_id",
        "actor_name",
        "role",
        "reason",
        "hash",
    ]
    return csv_text(
        fields, ({**e.model_dump(mode="json"), "at": format_time(e.at)} for e in events)
    )


# -- export -----------------------------------------------------------------------------------


def export_lines(db: Database, first: int, last: int | None) -> Iterator[str]:
    """Each event's canonical text, exactly the bytes its hash covers, one per line."""
    after = first - 1
    with db.reading() as session:
        while True:
            query = select(AuditEvent.seq, AuditEvent.payload).where(AuditEvent.seq > after)
            if last is not None:
                query = query.where(AuditEvent.seq <= last)
            rows = session.exec(query.order_by(AuditEvent.seq).limit(5000)).all()  # type: ignore[arg-type]
            if not rows:
                return
            for _seq, payload in rows:
                yield payload
            after = rows[-1][0]


def manifest(db: Database, first: int, last: int | None) -> dict[str, Any]:
    with db.reading() as session:
        query = select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash).where(
            AuditEvent.seq >= first
        )
        if last is not None:
            query = query.where(AuditEvent.seq <= last)
        start = session.exec(query.order_by(AuditEvent.seq).limit(1)).first()  # type: ignore[arg-type]
        end = session.exec(query.order_by(AuditEvent.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    if start is None or end is None:
        raise InvalidRequest(f"no events from {first} to {last if last is not None else 'the end'}")
    return {
        "format": "grantflow-audit-export/1",
        "first_seq": start[0],
        "last_seq": end[0],
        "count": end[0] - start[0] + 1,
        "prev_hash": start[1],
        "head_hash": end[2],
        "exported_at": format_time(dt.datetime.now(dt.UTC)),
    }


def write_export(
    db: Database, directory: Path, first: int = 1, last: int | None = None
) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    info = manifest(db, first, last)
    with (directory / "events.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for line in export_lines(db, info["first_seq"], info["last_seq"]):
            out.write(line + "\n")
    info["events_sha256"] = hashlib.sha256((directory / "events.jsonl").read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return info


# -- signed heads -----------------------------------------------------------------------------


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key from the settings; outside production, one made once and kept in the data folder."""
    if settings.audit_signing_key is not None:
        seed = base64.b64decode(settings.audit_signing_key.get_secret_value())
        return Ed25519PrivateKey.from_private_bytes(seed)
    path = settings.data_dir / "audit-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(os.urandom(32)))
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_bytes()))


def public_key_info(key: Ed25519PrivateKey) -> dict[str, str]:
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "pem": pem.decode(),
        "fingerprint": hashlib.sha256(raw).hexdigest()[:16],
    }


def head_statement(seq: int, head_hash: str, signed_at: str) -> bytes:
    """What a signature covers: the sequence number and hash of the chain's head, and when."""
    return json.dumps(
        {"head_hash": head_hash, "seq": seq, "signed_at": signed_at},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def sign_head(
    session: Session, key: Ed25519PrivateKey, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    """Sign the current head and record the signature as an event (which itself joins the chain)."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    signed_at = format_time(now)
    signature = base64.b64encode(key.sign(head_statement(head.seq, head.hash, signed_at))).decode()
    signed = {
        "seq": head.seq,
        "head_hash": head.hash,
        "signed_at": signed_at,
        "signature": signature,
        **public_key_info(key),
    }
    signed.pop("pem")
    audit.append(
        session,
        kind=EventKind.fact,
        actor=actor,
        now=now,
        transition="head_signed",
        details={"signed_head": signed},
    )
    return signed


def check_signature(signed: dict[str, Any], public_key_b64: str) -> bool:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    try:
        public.verify(
            base64.b64decode(signed["signature"]),
            head_statement(signed["seq"], signed["head_hash"], signed["signed_at"]),
        )
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True


def verify_against_head(
    db: Database, signed: dict[str, Any], public_key_b64: str
) -> tuple[bool, str]:
    """Does the stored chain still lead to the head that was signed? Catches a rewrite that
    recomputed every later hash, which the chain alone cannot."""
    if not check_signature(signed, public_key_b64):
        return False, "the signature does not verify with this public key"
    with db.reading() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq <= signed["seq"]).order_by(AuditEvent.seq)  # type: ignore[arg-type]
        ).all()
        result = verify_chain(audit.stored(e) for e in rows)
    if not result.ok:
        return False, f"the chain is broken at event {result.first_bad_seq}: {result.problem}"
    if (result.head_seq, result.head_hash) != (signed["seq"], signed["head_hash"]):
        return False, (
            f"event {signed['seq']} now hashes to {result.head_hash}, but {signed['head_hash']} was signed "
            f"at {signed['signed_at']}: an event at or before it was changed, added or removed"
        )
    return (
        True,
        f"events 1 to {signed['seq']} are as they were when signed at {signed['signed_at']}",
    )


class DailyHeadSigning:
    """A job of the service itself, kept in the deadline table like any deadline (so exactly one
    scheduler signs each day): sign the head, then plan tomorrow's signing."""

    kind = SIGNING_KIND

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def plan(self, session: Session, now: dt.datetime) -> None:
        pending = session.exec(
            select(Deadline.id).where(Deadline.kind == self.kind, Deadline.status == "pending")
        ).first()
        if pending is None:
            tomorrow = dt.datetime.combine(
                now.date() + dt.timedelta(days=1), dt.time(0, 5), tzinfo=dt.UTC
            )
            session.add(
                Deadline(
                    kind=self.kind,
                    due_at=tomorrow,
                    time_zone="UTC",
                    rule="service#audit.daily_signed_head",
                    created_at=now,
                )
            )

    def fire(self, session: Session, deadline: Deadline, now: dt.datetime) -> str:
        signed = sign_head(session, self.key, SYSTEM, now)
        session.add(
            Deadline(
                kind=self.kind,
                due_at=deadline.due_at + dt.timedelta(days=1),
                time_zone="UTC",
                rule=deadline.rule,
                created_at=now,
            )
        )
        return f"signed head {signed['seq']} {signed['head_hash'][:16]}"


# -- a programme as it stood --------------------------------------------------------------------


def snapshot(cases: CaseService, actor: Actor, programme: str, at: dt.datetime) -> list[CasePublic]:
    """Every case of `programme` as it stood at `at`, rebuilt from the audit events alone."""
    if actor.role not in STAFF:
        raise Forbidden("a programme's snapshot is for agency staff and auditors")
    programme_id = cases.programme_id(programme)
    views: dict[int, dict[str, Any]] = {}
    with cases.db.reading() as session:
        rows = session.exec(
            select(AuditEvent.case_id, AuditEvent.kind, AuditEvent.payload)
            .join(Case, Case.id == AuditEvent.case_id)  # type: ignore[arg-type]
            .where(Case.programme_id == programme_id, AuditEvent.at <= at)
            .where(AuditEvent.kind.in_([EventKind.created, EventKind.transition]))  # type: ignore[attr-defined]
            .order_by(AuditEvent.case_id, AuditEvent.seq)  # type: ignore[arg-type]
        ).all()
    for case_id, kind, payload in rows:
        body = json.loads(payload)
        view = views.setdefault(case_id, {})
        view.update(body["changes"])
        view.update(state=body["to_state"], version=body["case_version"], updated_at=body["at"])
        if kind == EventKind.created:
            view["created_at"] = body["at"]
    config = cases.catalogue.programme(programme)
    prefix = config.reference_prefix if config else "CASE"
    return [
        CasePublic.model_validate(
            {**view, "id": cid, "reference": f"{prefix}-{cid:05d}", "as_of": at}
        )
        for cid, view in sorted(views.items())
    ]


def snapshot_csv(rows: list[CasePublic]) -> str:
    fields = [
        "reference",
        "title",
        "organisation_id",
        "state",
        "version",
        "currency",
        "granted_amount",
        "disbursed_amount",
        "eligible_spent",
        "to_repay",
        "repaid_amount",
        "as_of",
    ]
    return csv_text(fields, (r.model_dump(mode="json") for r in rows))
