"""The HTTP routes of payment tranches: a case's schedule, a payment against one tranche, and
the tranches whose releasing report is overdue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from services.api.deps import ActorDep, TranchesDep, UnitsDep
from services.api.problems import PROBLEMS
from services.api.routes_cases import CaseId
from services.cases.tranches import TranchePayment
from services.policy import declared
from workflow.access import Action

router = APIRouter(responses=PROBLEMS, tags=["money"])
Number = Annotated[int, Path(ge=1, le=10_000, description="the tranche's number in its case")]


@router.get("/cases/{case_id}/tranches", openapi_extra=declared(Action.case_read))
def case_tranches(
    case_id: CaseId, actor: ActorDep, units: UnitsDep, tranches: TranchesDep
) -> dict[str, Any]:
    """The payment schedule: each tranche's amount, condition, whether it is released, what it
    allows, what was paid and what is in arrears; the repayment once eligible costs are known."""
    with units.reading() as uow:
        return tranches.schedule(uow, actor, case_id)


@router.post(
    "/cases/{case_id}/tranches/{number}/payments",
    openapi_extra=declared(Action.case_pay),
    status_code=status.HTTP_201_CREATED,
)
def pay_tranche(
    case_id: CaseId,
    number: Number,
    payment: TranchePayment,
    actor: ActorDep,
    units: UnitsDep,
    tranches: TranchesDep,
) -> dict[str, Any]:
    """Register a payment against a released tranche; above what it still allows, refused (409
    payment-above-tranche) with nothing written. Answers with the schedule after it."""
    with units.writing() as uow:
        schedule = tranches.pay(uow, actor, case_id, number, payment.amount, payment.paid_on)
        uow.commit()
    return schedule


@router.get("/tranches/overdue", openapi_extra=declared(Action.case_read))
def overdue_tranches(actor: ActorDep, units: UnitsDep, tranches: TranchesDep) -> list[Any]:
    """Tranches still due whose releasing report's deadline has passed, oldest first."""
    with units.reading() as uow:
        return tranches.overdue(uow, actor)
