"""The audit log: the one place events are written, and the check that none was altered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.auditing.parts import MIN_PART, parts_of, verify_in_parts
from services.privacy.sealing import Seals
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.audit_chain import Verification, canonical, event_body, hash_of
from workflow.chain_check import verify_batches
from workflow.personal import Personal, mark, personal_fields, plain_of, seal_all
from workflow.statuses import EventKind

ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Recorded:
    """An event as stored (its place and time in the chain), and as recorded before encoding
    (typed values: Money, dates)."""

    seq: int
    at: dt.datetime
    body: dict[str, Any]


def record(
    uow: UnitOfWork,
    *,
    kind: EventKind,
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
) -> Recorded:
    """Add one event to the chain inside the caller's unit of work, so it commits with the change.

    Times never go backwards along the chain, so "as of the time of event N" always means
    "after event N".
    """
    owner, personal = actor.user_id, personal_fields()
    if owner is not None:  # a person's name and words are theirs; the scheduler's are no one's
        inputs = mark(inputs, personal.inputs, owner)
        details = mark(details, personal.details, owner)
    head = uow.audit.lock_head()
    at = now if head.at is None or now > head.at else head.at + ONE_MICROSECOND
    body = event_body(
        seq=head.seq + 1,
        prev_hash=head.hash,
        at=at,
        kind=kind,
        actor_id=actor.user_id,
        actor_name=Personal(owner, actor.name) if owner is not None else actor.name,
        role=actor.role.value,
        case_id=case_id,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        case_version=case_version,
        inputs=inputs,
        changes=changes,
        reason=_theirs(owner, reason),
        details=details,
    )
    payload = canonical(seal_all(body, Seals(uow, now).seal))
    seq = body["seq"]
    event = {
        "seq": seq,
        "at": at,
        "case_id": case_id,
        "kind": kind,
        "transition": transition,
        "actor_id": actor.user_id,
        "role": actor.role.value,
        "payload": payload,
        "hash": hash_of(payload),
    }
    uow.audit.add(event, head)
    return Recorded(seq, at, plain_of(body))


def _theirs(owner: int | None, text: str | None) -> Personal | str | None:
    return Personal(owner, text) if owner is not None and text else text


def verify(uow: UnitOfWork, batch: int = 20000, min_part: int = MIN_PART) -> Verification:
    """Walk the whole chain in order (a long one in parts, one a core: services/auditing/parts.py);
    also check that the head row points at its last event, which catches events cut from the end."""
    head = uow.audit.head()
    parts = parts_of(head.seq if head else 0, min_part)
    if len(parts) > 1 and uow.shared_url is not None:
        result = verify_in_parts(uow, parts, batch)
    else:
        result = verify_batches(uow.chain.rows(batch), uow.chain.event)
    head = uow.audit.head()
    if (
        result.ok
        and head is not None
        and (head.seq, head.hash)
        != (
            result.head_seq or 0,
            result.head_hash,
        )
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
