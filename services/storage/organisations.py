"""Queries on organisations and the joint local agreements between them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from services.storage.models import Agreement, AgreementParty, Organisation


class OrganisationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, organisation: Organisation) -> Organisation:
        self.session.add(organisation)
        self.session.flush()
        return organisation

    def save(self, organisation: Organisation) -> None:
        self.session.add(organisation)

    def get(self, organisation_id: int) -> Organisation | None:
        return self.session.get(Organisation, organisation_id)

    def by_name(self, name: str) -> Organisation | None:
        return self.session.exec(select(Organisation).where(Organisation.name == name)).first()

    def all(self) -> list[Organisation]:
        return list(self.session.exec(select(Organisation).order_by(col(Organisation.name))).all())

    def kinds(self, ids: Iterable[int]) -> dict[int, str]:
        """The kind of each organisation among `ids` that exists."""
        query = select(Organisation.id, Organisation.kind).where(
            col(Organisation.id).in_(list(ids))
        )
        return {i: kind for i, kind in self.session.exec(query).all() if i is not None}

    def add_agreement(self, agreement: Agreement, party_ids: Iterable[int]) -> Agreement:
        self.session.add(agreement)
        self.session.flush()
        assert agreement.id is not None
        self.session.add_all(
            AgreementParty(agreement_id=agreement.id, organisation_id=p) for p in party_ids
        )
        return agreement

    def agreement(self, agreement_id: int) -> Agreement | None:
        return self.session.get(Agreement, agreement_id)

    def agreement_parties(self, agreement_id: int) -> list[int]:
        query = select(AgreementParty.organisation_id).where(
            AgreementParty.agreement_id == agreement_id
        )
        return list(self.session.exec(query).all())

    def agreements(self) -> list[Agreement]:
        return list(self.session.exec(select(Agreement).order_by(col(Agreement.id))).all())
