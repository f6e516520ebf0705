"""The audit log: the one place events are written, and the check that none was altered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from sqlmodel import Session, select

from services.storage.db import Database
from services.storage.models import AuditEvent, AuditHead
from workflow.actors import Actor
from workflow.audit_chain import (
    INDEXED_FIELDS,
    StoredEvent,
    Verification,
    canonical,
    format_time,
    hash_of,
    verify_chain,
)

ONE_MICROSECOND = dt.timedelta(microseconds=1)


class EventKind:
    created = "created"  # a case came into being, with its first state and facts
    transition = "transition"  # a case moved from one state to another
    refusal = "refusal"  # someone tried to move a case and was refused; the case did not change
    fact = "fact"  # something recorded that is not a move (a programme file loaded, ...)


def append(
    session: Session,
    *,
    kind: str,
    actor: Actor,
    now: dt.datetime,
    case_id: int | None = None,
    transition: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    case_version: int | None = None,
    inputs: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction, so it commits with the change.

    The head row is locked first: every writer queues there, which keeps the chain one line even
    with many processes writing. Times never go backwards along the chain, so "as of the time of
    event N" always means "after event N".
    """
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    at = now if head.at is None or now > head.at else head.at + ONE_MICROSECOND
    body = {
        "seq": head.seq + 1,
        "prev_hash": head.hash,
        "at": format_time(at),
        "kind": kind,
        "case_id": case_id,
        "transition": transition,
        "from_state": from_state,
        "to_state": to_state,
        "case_version": case_version,
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "role": actor.role.value,
        "inputs": dict(inputs or {}),
        "changes": dict(changes or {}),
        "reason": reason,
        "details": dict(details or {}),
    }
    payload = canonical(body)
    event = AuditEvent(
        seq=body["seq"],
        at=at,
        case_id=case_id,
        kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.user_id,
        role=actor.role.value,
        payload=payload,
        prev_hash=head.hash,
        hash=hash_of(payload),
    )
    session.add(event)
    head.seq, head.hash, head.at = event.seq, event.hash, at
    session.add(head)
    return event


def stored(event: AuditEvent) -> StoredEvent:
    columns = {
        "seq": event.seq,
        "at": format_time(event.at),
        "case_id": event.case_id,
        "kind": event.kind,
        "transition": event.transition,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor_id": event.actor_id,
        "role": event.role,
    }
    return StoredEvent(seq=event.seq, hash=event.hash, payload=event.payload, columns=columns)


def verify(db: Database, batch: int = 5000) -> Verification:
    """Walk the whole chain in order; also check that the head row points at its last event,
    which catches events cut from the end."""
    with db.reading() as session:
        result = verify_chain(chain_events(session, batch))
        head = session.get(AuditHead, 1)
        if (
            result.ok
            and head is not None
            and (head.seq, head.hash) != (result.head_seq or 0, result.head_hash)
        ):
            return Verification(
                False,
                result.checked,
                result.head_seq,
                result.head_hash,
                first_bad_seq=(result.head_seq or 0) + 1,
                problem=f"the chain ends at event {result.head_seq or 0} but its head says {head.seq}: events are missing",
            )
        return result


def chain_events(session: Session, batch: int = 5000, after: int = 0) -> Iterator[StoredEvent]:
    """Every event after `after`, in sequence order, read in batches as plain rows: the ORM's
    bookkeeping would cost more than checking the hashes."""
    columns = [getattr(AuditEvent, name) for name in (*INDEXED_FIELDS, "hash", "payload")]
    last = after
    while True:
        rows = session.exec(
            select(*columns).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)  # type: ignore[arg-type, call-overload]
        ).all()
        if not rows:
            return
        for row in rows:
            values = dict(zip(INDEXED_FIELDS, row, strict=False))
            values["at"] = format_time(values["at"])
            yield StoredEvent(seq=row.seq, hash=row.hash, payload=row.payload, columns=values)
        last = rows[-1].seq
