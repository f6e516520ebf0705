"""The HTTP routes an administrator uses to take access away: revoke a token, disable a user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.access import disable_user, revoke_token
from services.api.deps import ActorDep, ClockDep, UnitsDep
from services.api.problems import PROBLEMS
from services.policy import declared, require
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["admin"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/admin/tokens/{token_id}/revoke",
    openapi_extra=declared(Action.access_manage),
    status_code=status.HTTP_204_NO_CONTENT,
)
def revoke(token_id: Id, actor: ActorDep, units: UnitsDep, clock: ClockDep) -> None:
    """The token, and the browser sessions opened with it, open nothing from now on (audited)."""
    require(actor, Action.access_manage)
    with units.writing() as uow:
        revoke_token(uow, clock, actor, token_id)
        uow.commit()


@router.post(
    "/admin/users/{user_id}/disable",
    openapi_extra=declared(Action.access_manage),
    status_code=status.HTTP_204_NO_CONTENT,
)
def disable(user_id: Id, actor: ActorDep, units: UnitsDep, clock: ClockDep) -> None:
    """The user's tokens and sessions open nothing from now on (audited); their history stays."""
    require(actor, Action.access_manage)
    with units.writing() as uow:
        disable_user(uow, clock, actor, user_id)
        uow.commit()
