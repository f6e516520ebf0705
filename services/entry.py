"""What the API and the pages share as entry points: moving a case in a unit of work of its own,
with a refused attempt put on the record in its place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.cases.transitions import AUDITED_REFUSALS
from services.container import Services
from services.schemas import TransitionResult
from workflow.actors import Actor


def fire_transition(
    services: Services,
    actor: Actor,
    case_id: int,
    name: str,
    body: Mapping[str, Any] | None,
    *,
    if_match: int | None = None,
    idempotency_key: str | None = None,
) -> TransitionResult:
    with services.units.writing() as uow:
        try:
            result = services.transitions.fire(
                uow, actor, case_id, name, body, if_match=if_match, idempotency_key=idempotency_key
            )
        except AUDITED_REFUSALS as refused:
            # Refused before anything was written: the attempt is all this unit of work keeps.
            services.transitions.record_refusal(uow, actor, case_id, refused)
            uow.commit()
            raise
        uow.commit()
        return result
