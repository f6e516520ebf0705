"""Assessment checklists a programme declares: each criterion, what answers it, and when it is met.

A programme file lists its criteria as `[[checklist]]`; each names the transitions it must be met
before (`required_for`), and the lifecycle's guard `checklist_complete` holds them to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The guard a transition names in states/grant_lifecycle.toml for a checklist to be able to gate it.
GUARD = "checklist_complete"

CriterionKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
LabelLanguage = Literal["en", "sv", "da"]
YES, NO = ("yes", "true", "ja", "1"), ("no", "false", "nej", "0")


class AnswerKind(StrEnum):
    yes_no = "yes_no"  # stored as true or false
    number = "number"  # stored as a decimal string, "3" or "12.5"
    names = "names"  # stored as a list of names, each once


class Criterion(BaseModel):
    """One line of an assessment checklist, with the seed line it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: CriterionKey
    label: dict[LabelLanguage, str] = Field(min_length=1)
    source: str = Field(min_length=1, description="the line of the seed text it comes from")
    answer: AnswerKind
    expected: bool | None = Field(default=None, description="yes_no: the answer that meets it")
    min: Decimal | None = Field(default=None, description="number: the least that meets it")
    min_items: int | None = Field(
        default=None, ge=1, le=100, description="names: the fewest that meet it"
    )
    required_for: list[str] = Field(
        default_factory=list, description="transitions that wait until it is met"
    )

    @model_validator(mode="after")
    def _fits_its_answer(self) -> Criterion:
        allowed = {
            AnswerKind.yes_no: "expected",
            AnswerKind.number: "min",
            AnswerKind.names: "min_items",
        }
        for name in ("expected", "min", "min_items"):
            if getattr(self, name) is not None and allowed[self.answer] != name:
                raise ValueError(f"`{name}` does not apply to an answer of kind {self.answer}")
        return self

    def title(self, language: str) -> str:
        return self.label.get(language) or self.label.get("en") or next(iter(self.label.values()))  # type: ignore[call-overload]

    def parse(self, value: Any) -> bool | str | list[str]:
        """The answer as stored; ValueError says what an answer of this kind looks like."""
        if self.answer is AnswerKind.yes_no:
            if isinstance(value, bool):
                return value
            said = str(value).strip().lower() if isinstance(value, str) else None
            if said in YES or said in NO:
                return said in YES
            raise ValueError("answer yes or no (true or false)")
        if self.answer is AnswerKind.number:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError("answer with a number")
            try:
                number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                raise ValueError("answer with a number") from None
            if not number.is_finite():
                raise ValueError("answer with a number")
            return str(number.normalize() if number != number.to_integral() else number.quantize(1))
        items = value.splitlines() if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("answer with a list of names (one a line)")
        names: dict[str, str] = {}
        for item in items:
            if item.strip():
                names.setdefault(" ".join(item.split()).casefold(), " ".join(item.split()))
        return list(names.values())

    def shortfall(self, stored: Any) -> str | None:
        """Why a stored answer does not meet the criterion; None when it does."""
        if stored is None:
            return "not answered"
        try:
            answer = self.parse(stored)
        except ValueError as wrong:  # the criterion changed kind since it was answered
            return f"the answer no longer fits this criterion ({wrong}): answer it again"
        if self.answer is AnswerKind.yes_no:
            wanted = True if self.expected is None else self.expected
            if answer is not wanted:
                return (
                    f"answered {'yes' if answer else 'no'}; {'yes' if wanted else 'no'} is required"
                )
        elif self.answer is AnswerKind.number:
            if self.min is not None and Decimal(str(answer)) < self.min:
                return f"{answer} recorded; at least {self.min} is required"
        elif self.min_items is not None and len(answer) < self.min_items:  # type: ignore[arg-type]
            listed = f" ({', '.join(answer)})" if answer else ""  # type: ignore[arg-type]
            return f"{len(answer)} recorded{listed}; at least {self.min_items} are required"  # type: ignore[arg-type]
        return None


@dataclass(frozen=True)
class Unmet:
    """A criterion a transition waits for, and why it is not met."""

    criterion: Criterion
    reason: str


def unmet(
    criteria: Iterable[Criterion], transition: str, answers: Mapping[str, Any]
) -> list[Unmet]:
    """The criteria `transition` waits for that its case's answers do not meet, in file order."""
    return [
        Unmet(c, reason)
        for c in criteria
        if transition in c.required_for and (reason := c.shortfall(answers.get(c.key))) is not None
    ]


def checklist_problems(
    criteria: Iterable[Criterion], transition_guards: Mapping[str, Iterable[str]]
) -> list[str]:
    """What is wrong with a programme's checklist against the lifecycle, each with its key:
    a key used twice, a transition the lifecycle lacks, or one that never checks the checklist."""
    found: list[str] = []
    seen: set[str] = set()
    gated = sorted(name for name, guards in transition_guards.items() if GUARD in guards)
    for c in criteria:
        if c.key in seen:
            found.append(f"checklist.{c.key}: the key is used by another criterion too")
        seen.add(c.key)
        for name in c.required_for:
            if name not in transition_guards:
                found.append(
                    f"checklist.{c.key}.required_for: {name!r} is not a transition of the lifecycle"
                )
            elif name not in gated:
                found.append(
                    f"checklist.{c.key}.required_for: {name!r} does not check the checklist "
                    f"(the lifecycle names the guard {GUARD} on {', '.join(gated) or 'none'})"
                )
    return found
