"""Change requests after a decision (amendments): their kinds and where a case takes them
(states/amendments.toml), and the programme's word on which are approved on submission."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RULES = Path(__file__).resolve().parent.parent / "states" / "amendments.toml"


class AmendmentKind(StrEnum):
    extension = "extension"  # a later period end; the report deadline follows it
    reallocation = "reallocation"  # money moved from one budget line to another
    contact = "contact"  # where the case's mail goes


class AmendmentStatus(StrEnum):
    requested = "requested"  # waits for a caseworker's assessment
    assessed = "assessed"  # waits for an approver's decision
    approved = "approved"
    refused = "refused"


class AmendmentRule(BaseModel):
    """[amendments.<kind>] in a programme file: who approves a kind of change request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # "approver": a caseworker assesses and an approver decides (four eyes);
    # "on_submission": approved as it is made, because the programme says so.
    approval: Literal["approver", "on_submission"]
    # A reallocation moving at most this share of the line it leaves is approved on submission.
    on_submission_up_to: Decimal | None = Field(default=None, gt=0, le=1)
    max_months: int | None = Field(default=None, ge=1, le=120, description="extension at most")
    source: str = Field(min_length=1)


@dataclass(frozen=True)
class Amendments:
    open_in: frozenset[str]
    labels: dict[str, dict[str, str]]


@cache
def amendment_rules(path: Path = RULES) -> Amendments:
    with path.open("rb") as f:
        data = tomllib.load(f)
    kinds = data.get("kinds", {})
    unknown = set(kinds) - {k.value for k in AmendmentKind}
    if unknown:
        raise ValueError(f"{path.name}: unknown amendment kinds {sorted(unknown)}")
    return Amendments(
        open_in=frozenset(data.get("open_in", [])),
        labels={k: dict(v.get("label", {})) for k, v in kinds.items()},
    )


def approved_on_submission(
    rule: AmendmentRule, moved: Decimal | None = None, line: Decimal | None = None
) -> bool:
    """Whether the programme approves this request as it is made: a kind it approves outright,
    or a reallocation within the share of its line the programme allows."""
    if rule.approval == "on_submission":
        return True
    if rule.on_submission_up_to is None or moved is None or line is None:
        return False
    return moved <= line * rule.on_submission_up_to


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end`, a part month counted as one."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day > start.day else 0)
