"""The shapes the API reads and returns; stored verbatim for idempotent replays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Item = TypeVar("Item")


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NewCase(BaseModel):
    """A new case: an interest registration or an application, by the programme's entry point."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    programme: str = Field(min_length=1, max_length=64, description="the programme's code")
    title: str = Field(min_length=1, max_length=300)
    organisation_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="the lead applicant; an applicant's own by default",
    )
    partner_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=list, max_length=100, description="other organisations applying jointly"
    )
    agreement_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="the joint local agreement a cluster applies under",
    )


class Party(_Public):
    organisation_id: int
    is_lead: bool


class CasePublic(_Public):
    id: int
    reference: str
    registry_number: str | None = Field(
        default=None,
        description="the case's number in the registry (diarienummer), e.g. `SFU 2026/0123`; "
        "its documents are numbered `-1`, `-2`, ... within it (GET /registry)",
    )
    programme: str
    title: str
    organisation_id: int
    parties: list[Party] = Field(description="the lead and the partners that have confirmed")
    invited_partners: list[int] = Field(
        default_factory=list,
        description="organisations named as partners that have not confirmed yet: not counted",
    )
    state: str
    version: int
    call: str | None = None
    programme_version: int | None = Field(
        default=None,
        description="the version of the programme's rules it was opened under "
        "(GET /programmes/{code}/versions); none for cases opened before versions were kept",
    )
    agreement_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    target_group_size: int | None = None
    currency: str
    requested_amount: Decimal | None
    granted_amount: Decimal
    disbursed_amount: Decimal
    reported_costs: Decimal | None
    eligible_spent: Decimal | None
    to_repay: Decimal
    balance_due: Decimal
    repaid_amount: Decimal
    assessed_eligible: Decimal | None = Field(
        default=None, description="eligible per the report's lines"
    )
    certification: str | None = Field(default=None, description="who certified the final accounts")
    created_at: dt.datetime
    updated_at: dt.datetime
    as_of: dt.datetime | None = Field(
        default=None, description="set when rebuilt from the audit log"
    )


class Page(BaseModel, Generic[Item]):
    """Every list the API gives: a page of items and the link to the next one (keyset paging:
    follow `next` until it is null; a page never repeats or skips an item that was there)."""

    items: list[Item]
    next: str | None = Field(default=None, description="the next page's URL; null on the last")
    total: int | None = Field(
        default=None, description="how many match in all; null where counting costs too much"
    )
    # Where the next page starts; the API turns it into `next` with the request's own filters.
    cursor: str | None = Field(default=None, exclude=True)


CasePage = Page[CasePublic]


class InputPublic(BaseModel):
    name: str
    type: str
    required: bool
    label: str


class TransitionPublic(BaseModel):
    name: str
    label: str
    to: str
    inputs: list[InputPublic]
    guards: list[str]


class TransitionResult(BaseModel):
    case: CasePublic
    transition: str
    from_state: str
    to_state: str
    event_seq: int


class EventPublic(_Public):
    seq: int
    encoding: int = Field(
        default=1, description="how the event was encoded for its hash (docs/AUDIT.md)"
    )
    at: dt.datetime
    kind: str
    case_id: int | None
    transition: str | None
    from_state: str | None
    to_state: str | None
    case_version: int | None
    actor_id: int | None
    actor_name: str
    role: str
    inputs: dict[str, Any]
    changes: dict[str, Any]
    reason: str | None
    details: dict[str, Any]
    hash: str
    prev_hash: str


class VerificationPublic(BaseModel):
    ok: bool
    events_checked: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None
    problem: str | None


class Me(BaseModel):
    id: int | None
    name: str
    role: str
    organisation_id: int | None


class DeadlinePublic(_Public):
    id: int
    case_id: int | None
    programme: str
    call_code: str | None
    kind: str
    label: str
    fires: str | None
    due_at: dt.datetime
    due_local: str = Field(description="the due time in the programme's time zone")
    time_zone: str
    rule: str
    status: str
    fired_at: dt.datetime | None
    fired_by: str | None
    outcome: str | None
    event_seq: int | None
    programme_version: int | None = Field(
        default=None, description="the version of the programme's rules that set it"
    )


class NotificationPublic(_Public):
    id: int
    case_id: int | None
    deadline_id: int | None
    kind: str
    audience: str
    organisation_id: int | None
    subject: str
    body: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
