"""Idempotency-Key: a retried request gets the first answer back, and nothing happens twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from services.errors import IdempotencyKeyReused, InvalidRequest
from services.storage.models import IdempotencyRecord
from services.storage.unit_of_work import UnitOfWork
from workflow.actors import Actor
from workflow.audit_chain import plain
from workflow.clock import Clock

Result = TypeVar("Result", bound=BaseModel)


def once(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    key: str | None,
    request: Any,
    shape: type[Result],
    work: Callable[[], Result],
) -> Result:
    """`work`'s answer; with a key, the answer recorded for it, if this is a retry.

    The record is written in the same unit of work as the change, so there is never a change
    without its record or a record without its change. The key is locked first, so a retry
    racing its first attempt waits for it and then finds its answer. `request` is what makes two
    requests the same (method, path, body): a key sent again with another request is refused.
    """
    if key is None:
        return work()
    if not 1 <= len(key) <= 255:
        raise InvalidRequest("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key")
    digest = hashlib.sha256(json.dumps(plain(request), sort_keys=True).encode()).hexdigest()
    uow.idempotency.lock_key(actor.user_id, key)
    record = uow.idempotency.find(actor.user_id, key)
    if record is not None:
        if record.fingerprint != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was first used for a different request; nothing was changed",
                key=key,
            )
        return shape.model_validate_json(record.response_body)
    result = work()
    assert actor.user_id is not None, "keys are a client's, and every client is a user"
    uow.idempotency.add(
        IdempotencyRecord(
            user_id=actor.user_id,
            key=key,
            fingerprint=digest,
            status_code=200,
            response_body=result.model_dump_json(),
            created_at=clock.now(),
        )
    )
    return result
