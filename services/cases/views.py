"""What a case looks like from the outside: its public shape, from its row or from its events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from services.privacy.sealing import open_bodies
from services.programmes import ProgrammeRegistry
from services.schemas import CasePublic, EventPublic, Party
from services.storage.case_reads import Columns, PartyRow
from services.storage.models import AuditEvent, Case, CaseParty
from services.storage.unit_of_work import UnitOfWork
from workflow.case import AMOUNT_FIELDS, PERIOD_FIELDS, REPORT_FIELDS
from workflow.money import Money
from workflow.read_model import compact_snapshot

# The case columns the rules read, and that transitions change and events carry.
CASE_FACT_FIELDS = (*AMOUNT_FIELDS, *PERIOD_FIELDS, *REPORT_FIELDS)

# What a case's first event records of it: everything but what the event itself says (its state
# and version) or what is derived (its id, reference, times).
# The registry number is in the event's details, where the registrar put it.
NOT_IN_SNAPSHOT = {
    "id",
    "reference",
    "registry_number",
    "state",
    "version",
    "created_at",
    "updated_at",
    "as_of",
}


# A case as the ORM loads it, or its columns as the one statement that shows it reads them
# (services/storage/case_reads.py): the view reads the same names from either.
CaseFields = Case | Columns


class CaseViews:
    def __init__(self, programmes: ProgrammeRegistry) -> None:
        self.programmes = programmes

    def reference(self, case: CaseFields) -> str:
        assert case.id is not None
        return self.programmes.reference(case.programme_id, case.id)

    def public(
        self,
        uow: UnitOfWork,
        case: CaseFields,
        parties: Sequence[CaseParty | PartyRow] | None = None,
    ) -> CasePublic:
        assert case.id is not None
        if parties is None:
            parties = uow.cases.parties_of([case.id]).get(case.id, [])
        config = self.programmes.config_of(case.programme_id)
        return CasePublic(
            id=case.id,
            reference=self.reference(case),
            registry_number=case.registry_number,
            programme=self.programmes.code_of(case.programme_id),
            title=case.title,
            organisation_id=case.organisation_id,
            parties=[
                Party(organisation_id=p.organisation_id, is_lead=p.is_lead)
                for p in sorted(parties, key=lambda p: (not p.is_lead, p.organisation_id))
                if p.confirmed_at is not None
            ],
            invited_partners=sorted(p.organisation_id for p in parties if p.confirmed_at is None),
            state=case.state,
            version=case.version,
            call=case.call_code,
            programme_version=case.programme_version,
            currency=config.currency if config else "",
            created_at=case.created_at,
            updated_at=case.updated_at,
            agreement_id=case.agreement_id,
            **{f: getattr(case, f) for f in CASE_FACT_FIELDS},
        )

    def many(self, uow: UnitOfWork, cases: list[Case]) -> list[CasePublic]:
        parties = uow.cases.parties_of([c.id for c in cases if c.id is not None])
        return [self.public(uow, c, parties.get(c.id or 0, [])) for c in cases]

    def folded(self, case_id: int, programme: str, view: Mapping[str, Any]) -> CasePublic:
        """A case rebuilt from its events (`workflow.read_model.fold`) in its public shape."""
        config = self.programmes.catalogue.programme(programme)
        prefix = config.reference_prefix if config else "CASE"
        return CasePublic.model_validate(
            {**view, "id": case_id, "reference": f"{prefix}-{case_id:05d}"}
        )


def creation_snapshot(case: CasePublic) -> dict[str, Any]:
    """The new case as its first event records it, amounts as Money: only what differs from a
    new case's defaults, which the event's fold fills in (workflow.read_model.AT_CREATION)."""
    snapshot = case.model_dump(exclude=NOT_IN_SNAPSHOT)
    for field in (*AMOUNT_FIELDS, "assessed_eligible"):
        if snapshot.get(field) is not None:
            snapshot[field] = Money(snapshot[field], case.currency)
    return compact_snapshot(snapshot)


def events_public(uow: UnitOfWork, events: list[AuditEvent]) -> list[EventPublic]:
    """The events as a reader sees them: personal data opened, or "[erased]"."""
    bodies = open_bodies(uow, (json.loads(e.payload) for e in events))
    return [
        EventPublic.model_validate({**body, "hash": e.hash, "at": e.at})
        for e, body in zip(events, bodies, strict=True)
    ]
