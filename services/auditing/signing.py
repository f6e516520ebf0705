"""Signed heads: Ed25519 signatures over the chain's head, made on demand and every day, that
prove later that nothing at or before the head was changed, even if every hash was recomputed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from config.settings import Settings
from services import audit
from services.storage.keeping import Deadline
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import SYSTEM, Actor
from workflow.audit_chain import format_time
from workflow.chain_check import verify_batches
from workflow.statuses import EventKind

SIGNING_KIND = "sign_audit_head"


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key from the settings; outside production, one made once and kept in the data folder."""
    if settings.audit_signing_key is not None:
        seed = base64.b64decode(settings.audit_signing_key.get_secret_value())
        return Ed25519PrivateKey.from_private_bytes(seed)
    path = settings.data_dir / "audit-signing.key"
    if not path.exists():
        # Written whole under another name, then linked into place: of processes starting at
        # once, one key wins and every process reads that one.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(os.urandom(32)))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
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
    uow: UnitOfWork, key: Ed25519PrivateKey, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    """Sign the current head and record the signature as an event (which itself joins the chain)."""
    head = uow.audit.lock_head()
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
    audit.record(
        uow,
        kind=EventKind.fact,
        actor=actor,
        now=now,
        transition="head_signed",
        details={"signed_head": signed},
    )
    return signed


def last_signed_head(uow: UnitOfWork) -> dict[str, Any] | None:
    """The head most recently signed, as its `head_signed` event recorded it."""
    event = uow.audit.last_of("head_signed")
    if event is None:
        return None
    signed: dict[str, Any] = json.loads(event.payload)["details"]["signed_head"]
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
    uow: UnitOfWork, signed: dict[str, Any], public_key_b64: str
) -> tuple[bool, str]:
    """Does the stored chain still lead to the head that was signed? Catches a rewrite that
    recomputed every later hash, which the chain alone cannot."""
    if not check_signature(signed, public_key_b64):
        return False, "the signature does not verify with this public key"
    result = verify_batches(uow.chain.rows(upto=signed["seq"]), uow.chain.event)
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
    scheduler signs each day): sign the head, then plan the next signing.

    The next signing is at the first 00:05 UTC after the one that ran, not one day after the one
    that was due: after a downtime the head is signed once, not once for each missed day. The
    deadline table holds one pending signing at most (a unique index), so processes planning at
    once plan it once."""

    kind = SIGNING_KIND
    at = dt.time(0, 5)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def plan(self, uow: UnitOfWork, now: dt.datetime) -> None:
        if not uow.deadlines.any_pending(self.kind):
            uow.deadlines.plan_once(self._next(now, "service#audit.daily_signed_head"))

    def fire(self, uow: UnitOfWork, deadline: Deadline, now: dt.datetime) -> str:
        signed = sign_head(uow, self.key, SYSTEM, now)
        uow.deadlines.plan_once(self._next(now, deadline.rule))
        return f"signed head {signed['seq']} {signed['head_hash'][:16]}"

    def _next(self, now: dt.datetime, rule: str) -> Deadline:
        today = dt.datetime.combine(now.astimezone(dt.UTC).date(), self.at, tzinfo=dt.UTC)
        due = today if today > now else today + dt.timedelta(days=1)
        return Deadline(kind=self.kind, due_at=due, time_zone="UTC", rule=rule, created_at=now)
