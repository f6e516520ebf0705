"""The HTTP routes of a case's assessment checklist: read it, and answer one criterion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.api.deps import ActorDep, ChecklistsDep, UnitsDep
from services.api.problems import PROBLEMS
from services.cases.checklists import ChecklistAnswerIn, CriterionPublic
from services.policy import declared
from workflow.access import Action

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the case's id")]
Key = Annotated[str, Path(max_length=64, description="the criterion's key in the programme file")]
Language = Annotated[str, Query(pattern="^[a-z]{2}$", description="label language: en, sv, da")]

router = APIRouter(responses=PROBLEMS, tags=["checklist"])


@router.get("/cases/{case_id}/checklist", openapi_extra=declared(Action.case_read))
def read_checklist(
    case_id: CaseId,
    actor: ActorDep,
    units: UnitsDep,
    checklists: ChecklistsDep,
    lang: Language = "en",
) -> list[CriterionPublic]:
    """Every criterion of the programme's assessment checklist, in order: its label, the line
    of the source text it comes from, the answer and note given, by whom and when, and whether
    it is met. The transitions each names in `required_for` wait until it is."""
    with units.reading() as uow:
        return checklists.of_case(uow, actor, case_id, lang)


@router.put("/cases/{case_id}/checklist/{key}", openapi_extra=declared(Action.case_assess))
def answer_criterion(
    case_id: CaseId,
    key: Key,
    given: ChecklistAnswerIn,
    actor: ActorDep,
    units: UnitsDep,
    checklists: ChecklistsDep,
    lang: Language = "en",
) -> CriterionPublic:
    """Answer one criterion, with a note; a later answer replaces it, and each is an audit event."""
    with units.writing() as uow:
        answered = checklists.answer(uow, actor, case_id, key, given, lang)
        uow.commit()
    return answered
