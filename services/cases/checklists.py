"""A case's assessment checklist: the criteria its programme declares, and the caseworker's
answer to each with a note, every answer an audit event in the same unit of work."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from services import audit
from services.cases.visibility import visible_case
from services.errors import Conflict, InvalidRequest, NotFound
from services.policy import require, require_on_case
from services.programmes import ProgrammeRegistry
from services.storage.checklists import ChecklistAnswer
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.checklists import Criterion
from workflow.clock import Clock
from workflow.lifecycle import Lifecycle
from workflow.statuses import EventKind


class ChecklistAnswerIn(BaseModel):
    """An answer to one criterion: yes or no (true, false), a number, or a list of names."""

    answer: bool | int | float | str | list[str] = Field(
        description="yes_no: true or false; number: a number; names: a list of names"
    )
    note: str = Field(default="", max_length=4000, description="why, in the caseworker's words")


class CriterionPublic(BaseModel):
    key: str
    label: str
    labels: dict[str, str]
    source: str = Field(description="the line of the programme's source text it comes from")
    answer_type: str = Field(description="yes_no, number or names")
    expected: bool | None = None
    min: Decimal | None = None
    min_items: int | None = None
    required_for: list[str]
    answer: bool | str | list[str] | None = None
    note: str | None = None
    answered_by: int | None = None
    answered_by_name: str | None = None
    answered_at: dt.datetime | None = None
    event_seq: int | None = None
    met: bool
    shortfall: str | None = Field(default=None, description="why it is not met; none when it is")


class Checklists:
    def __init__(self, clock: Clock, programmes: ProgrammeRegistry, lifecycle: Lifecycle) -> None:
        self.clock = clock
        self.programmes = programmes
        self.lifecycle = lifecycle

    def of_case(
        self, uow: UnitOfWork, actor: Actor, case_id: int, language: str = "en"
    ) -> list[CriterionPublic]:
        """Every criterion of the case's programme, in the file's order, with its answer if any."""
        case = visible_case(uow, actor, case_id)
        answers = {a.key: a for a in uow.checklists.of_case(case_id)}
        return [self._public(uow, c, answers.get(c.key), language) for c in self._criteria(case)]

    def answer(
        self,
        uow: UnitOfWork,
        actor: Actor,
        case_id: int,
        key: str,
        given: ChecklistAnswerIn,
        language: str = "en",
    ) -> CriterionPublic:
        """Record `actor`'s answer to criterion `key` and its audit event, in `uow`."""
        require(actor, Action.case_assess)  # a role that may assess no case at all: 403
        case = visible_case(uow, actor, case_id, lock=True)
        require_on_case(uow, actor, Action.case_assess, case)
        criterion = next((c for c in self._criteria(case) if c.key == key), None)
        if criterion is None:
            keys = ", ".join(c.key for c in self._criteria(case)) or "none"
            raise NotFound(
                f"the checklist of case {case_id} has no criterion {key!r} (it has: {keys})"
            )
        if self.lifecycle.states[case.state].terminal:
            raise Conflict(f"case {case_id} is {case.state}: its assessment is over")
        try:
            stored = criterion.parse(given.answer)
        except ValueError as wrong:
            raise InvalidRequest(f"{key}: {wrong}", field="answer") from None
        now = self.clock.now()
        shortfall = criterion.shortfall(stored)
        programme = self.programmes.require(case.programme_id)
        event = audit.record(
            uow,
            kind=EventKind.fact,
            actor=actor,
            now=now,
            case_id=case_id,
            transition="checklist_answered",
            from_state=case.state,
            case_version=case.version,
            inputs={"answer": stored, "note": given.note.strip()},
            details={
                "criterion": key,
                "rule": f"{programme.code}#checklist.{key}",
                "met": shortfall is None,
                **({"shortfall": shortfall} if shortfall else {}),
            },
        )
        row = uow.checklists.answer(case_id, key) or ChecklistAnswer(
            case_id=case_id, key=key, answer="null"
        )
        row.answer = json.dumps(stored, ensure_ascii=False)
        row.note = given.note.strip()
        row.answered_by = actor.user_id
        row.answered_at = event.at
        row.event_seq = event.seq
        uow.checklists.save(row)
        return self._public(uow, criterion, row, language)

    def _criteria(self, case: Case) -> list[Criterion]:
        return list(self.programmes.require(case.programme_id).checklist)

    def _public(
        self, uow: UnitOfWork, c: Criterion, row: ChecklistAnswer | None, language: str
    ) -> CriterionPublic:
        stored: Any = json.loads(row.answer) if row is not None else None
        shortfall = c.shortfall(stored)
        who = uow.people.user(row.answered_by) if row and row.answered_by else None
        return CriterionPublic(
            key=c.key,
            label=c.title(language),
            labels=dict(c.label),
            source=c.source,
            answer_type=c.answer.value,
            expected=c.expected,
            min=c.min,
            min_items=c.min_items,
            required_for=list(c.required_for),
            answer=stored,
            note=row.note if row else None,
            answered_by=row.answered_by if row else None,
            answered_by_name=who.name if who else None,
            answered_at=row.answered_at if row else None,
            event_seq=row.event_seq if row else None,
            met=shortfall is None,
            shortfall=shortfall,
        )
