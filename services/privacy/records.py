"""What the privacy routes and commands take and answer: holds, erasure proposals, erasures."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Why(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="kept, sealed, in the log")


class HoldRequest(Why):
    """A hold on one person, or on everyone who acted on one case."""

    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    case_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_subject(self) -> HoldRequest:
        if (self.user_id is None) == (self.case_id is None):
            raise ValueError("name either user_id or case_id")
        return self


class HoldPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    case_id: int | None
    placed_at: dt.datetime
    lifted_at: dt.datetime | None


class ProposalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    status: str
    grounds: str
    proposed_at: dt.datetime
    decided_at: dt.datetime | None


class Erased(BaseModel):
    user_id: int
    erased_at: dt.datetime
    event_seq: int
