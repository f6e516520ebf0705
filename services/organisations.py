"""Organisations and the joint local agreements between them (seeds/000, seeds/003)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.errors import InvalidRequest, NotFound
from services.policy import allows, require
from services.storage.models import Agreement, Organisation
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Subject
from workflow.actors import Actor
from workflow.clock import Clock

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class NewOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["municipality", "region", "non_profit", "foundation", "agency"]
    country: str = Field(pattern=r"^[A-Z]{2}$")
    org_number: str | None = Field(default=None, max_length=40)


class OrganisationPublic(NewOrganisation):
    model_config = ConfigDict(from_attributes=True)

    id: int


class NewAgreement(BaseModel):
    """A joint local agreement: the municipalities and the employment service that signed it,
    how long it holds, and the local tracks it describes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    employment_service_id: Id | None = None
    party_ids: list[Id] = Field(min_length=1, max_length=100)
    valid_from: dt.date
    valid_to: dt.date | None = None
    local_tracks: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _ordered(self) -> NewAgreement:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class AgreementPublic(BaseModel):
    id: int
    title: str
    employment_service_id: int | None
    party_ids: list[int]
    valid_from: dt.date
    valid_to: dt.date | None
    local_tracks: list[str]


def add_organisation(uow: UnitOfWork, actor: Actor, new: NewOrganisation) -> OrganisationPublic:
    require(actor, Action.organisations_register)
    return OrganisationPublic.model_validate(
        uow.organisations.add(Organisation(**new.model_dump()))
    )


def list_organisations(uow: UnitOfWork, actor: Actor) -> list[OrganisationPublic]:
    require(actor, Action.organisations_read)
    return [OrganisationPublic.model_validate(o) for o in uow.organisations.all()]


def add_agreement(
    uow: UnitOfWork, clock: Clock, actor: Actor, new: NewAgreement
) -> AgreementPublic:
    require(actor, Action.agreements_register)
    wanted = set(new.party_ids) | (
        {new.employment_service_id} if new.employment_service_id else set()
    )
    kinds = uow.organisations.kinds(wanted)
    missing = sorted(wanted - set(kinds))
    if missing:
        raise InvalidRequest(f"no organisation with id {missing}", field="party_ids")
    if new.employment_service_id is not None and kinds[new.employment_service_id] != "agency":
        raise InvalidRequest(
            "the employment service must be an agency", field="employment_service_id"
        )
    parties = list(dict.fromkeys(new.party_ids))
    agreement = uow.organisations.add_agreement(
        Agreement(
            title=new.title,
            employment_service_id=new.employment_service_id,
            valid_from=new.valid_from,
            valid_to=new.valid_to,
            local_tracks=json.dumps(new.local_tracks, ensure_ascii=False),
            created_at=clock.now(),
        ),
        parties,
    )
    return _public(agreement, parties)


def get_agreement(uow: UnitOfWork, actor: Actor, agreement_id: int) -> AgreementPublic:
    """An agreement; to an applicant, only one its organisation is party to (else not found)."""
    agreement = uow.organisations.agreement(agreement_id)
    found = (
        None
        if agreement is None
        else _public(agreement, uow.organisations.agreement_parties(agreement_id))
    )
    if found is None or not _may_read(actor, found):
        raise NotFound(f"there is no agreement {agreement_id}")
    return found


def list_agreements(uow: UnitOfWork, actor: Actor) -> list[AgreementPublic]:
    every = (
        _public(a, uow.organisations.agreement_parties(a.id or 0))
        for a in uow.organisations.agreements()
    )
    return [a for a in every if _may_read(actor, a)]


def _may_read(actor: Actor, agreement: AgreementPublic) -> bool:
    return allows(actor, Action.agreements_read, Subject(frozenset(agreement.party_ids)))


def _public(agreement: Agreement, parties: list[int]) -> AgreementPublic:
    assert agreement.id is not None
    return AgreementPublic(
        id=agreement.id,
        title=agreement.title,
        employment_service_id=agreement.employment_service_id,
        party_ids=parties,
        valid_from=agreement.valid_from,
        valid_to=agreement.valid_to,
        local_tracks=json.loads(agreement.local_tracks),
    )
