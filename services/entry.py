"""What the entry points share: starting a process (registering the programme files, an
incident for each that does not load), and moving a case in a unit of work of its own with a
refused attempt put on the record in its place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services import incidents
from services.cases.transitions import AUDITED_REFUSALS
from services.container import Services
from services.schemas import TransitionResult
from workflow.actors import Actor

log = logging.getLogger("grantflow")


def start_up(services: Services) -> None:
    """Register the programmes in one unit of work (processes starting together take turns) and
    keep an incident open for each programme file that does not load, or differs from the
    version in force."""
    catalogue = services.catalogue
    for name, problems in catalogue.broken.items():
        log.error("programme file %s is broken and does not run: %s", name, "; ".join(problems))
    with services.units.writing() as uow:
        differing = services.programmes.register(uow)
        for name, why in differing.items():
            log.warning("programme file %s is not taken up: %s", name, "; ".join(why))
        loaded = {pf.path.name for pf in catalogue.programmes.values()}
        not_in_force = {**catalogue.broken, **differing}
        incidents.programme_files(uow, not_in_force, loaded, services.clock.now())
        uow.commit()


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
