"""The HTTP routes of a programme's versions: which rules were in force, and what changed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel

from services.api.deps import ActorDep, ServicesDep, UnitsDep
from services.api.problems import PROBLEMS
from services.container import Services
from services.incidents import Reason
from services.policy import SIGNED_IN, declared
from services.programme_proposals import ProgrammeProposals, ProposalPublic, ProposalRequest
from services.programme_versions import ProgrammeDiff, ProgrammeVersionPublic, ProgrammeVersions
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["programmes"])
Code = Annotated[str, Path(max_length=64)]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/programmes/{programme}/versions", openapi_extra=declared(SIGNED_IN))
def versions(
    programme: Code, actor: ActorDep, units: UnitsDep, services: ServicesDep
) -> list[ProgrammeVersionPublic]:
    """Every version of the programme's rules as registered, oldest first; cases, decisions and
    deadlines name the version they were made under (`programme_version`)."""
    with units.reading() as uow:
        return ProgrammeVersions(services.programmes).list(uow, programme)


@router.get("/programmes/{programme}/versions/{number}", openapi_extra=declared(SIGNED_IN))
def version(
    programme: Code, number: Number, actor: ActorDep, units: UnitsDep, services: ServicesDep
) -> ProgrammeVersionPublic:
    """One version, with the programme file's content as it was registered."""
    with units.reading() as uow:
        return ProgrammeVersions(services.programmes).get(uow, programme, number)


@router.get(
    "/programmes/{programme}/versions/{number}/diff/{other}", openapi_extra=declared(SIGNED_IN)
)
def diff(
    programme: Code,
    number: Number,
    other: Number,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
) -> ProgrammeDiff:
    """What changed from version `number` to version `other`: each rule by its key in the file,
    and the file's lines as a unified diff."""
    with units.reading() as uow:
        return ProgrammeVersions(services.programmes).diff(uow, programme, number, other)


class Retired(BaseModel):
    programme: str
    retired_at: dt.datetime
    reason: str


@router.post("/programmes/{programme}/retire", openapi_extra=declared(Action.programmes_change))
def retire(
    programme: Code, why: Reason, actor: ActorDep, units: UnitsDep, services: ServicesDep
) -> Retired:
    """Retire a programme: it takes no new cases from now on; its running cases finish under
    the rules they have, and its file may then be removed (the kept version runs on)."""
    with units.writing() as uow:
        at = services.changes.retire(uow, actor, programme, why.reason)
        uow.commit()
    return Retired(programme=programme, retired_at=at, reason=why.reason)


def _proposals(services: Services) -> ProgrammeProposals:
    return ProgrammeProposals(services.changes, services.clock)


@router.post(
    "/programmes/{programme}/proposals",
    openapi_extra=declared(Action.programmes_change),
    status_code=status.HTTP_201_CREATED,
)
def propose(
    programme: Code,
    request: ProposalRequest,
    actor: ActorDep,
    units: UnitsDep,
    services: ServicesDep,
) -> ProposalPublic:
    """Propose a new version of the programme's rules (the whole file, as `content`): the answer
    carries its plan (rules that change, deadlines that move). Another administrator approves."""
    with units.writing() as uow:
        done = _proposals(services).propose(uow, actor, programme, request)
        uow.commit()
    return done


@router.get(
    "/programmes/{programme}/proposals/{proposal_id}",
    openapi_extra=declared(Action.programmes_change),
)
def proposal(
    programme: Code, proposal_id: Number, actor: ActorDep, units: UnitsDep, services: ServicesDep
) -> ProposalPublic:
    """A proposal, and whether applying it now would still do exactly its plan."""
    with units.reading() as uow:
        return _proposals(services).get(uow, actor, programme, proposal_id)


@router.post(
    "/programmes/{programme}/proposals/{proposal_id}/approve",
    openapi_extra=declared(Action.programmes_change),
)
def approve(
    programme: Code, proposal_id: Number, actor: ActorDep, units: UnitsDep, services: ServicesDep
) -> ProposalPublic:
    """Approve another administrator's proposal: it is applied exactly as planned, or refused
    (409) when anything moved since."""
    with units.writing() as uow:
        done = _proposals(services).approve(uow, actor, programme, proposal_id)
        uow.commit()
    return done
