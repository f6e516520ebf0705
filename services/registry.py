"""The registry (diarium): numbering a case and each document that comes in or goes out, in the
registering unit of work, and reading the register."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from services.policy import require
from services.schemas import Page
from services.storage.models import Case
from services.storage.registry import RegistryFilter
from services.storage.registry_tables import RegistryEntry
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action
from workflow.actors import Actor
from workflow.case import DecisionConfirmed
from workflow.engine import Firing
from workflow.programmes import ProgrammeConfig
from workflow.registry import DocumentKind, RegistryNumber, RegistryRules, registry_year
from workflow.statuses import DecisionStatus


class RegistryEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    registry_number: str
    series: str
    year: int
    number: int
    document: int
    case_id: int
    direction: str
    kind: str
    title: str
    registered_at: dt.datetime
    attachment_id: int | None
    decision_id: int | None
    event_seq: int | None


class Registrar:
    """Draws numbers and writes the entries. Numbers are drawn before the audit event that
    carries them is recorded, and entered after it, all in the caller's unit of work."""

    def __init__(self, rules: RegistryRules) -> None:
        self.rules = rules

    def number_case(
        self, uow: UnitOfWork, programme: ProgrammeConfig, now: dt.datetime
    ) -> RegistryNumber:
        """The next case number in the programme's series and this year where it is."""
        series, year = programme.series, registry_year(now, programme.zone)
        return RegistryNumber(series, year, uow.registry.draw(series, year))

    def number_document(self, uow: UnitOfWork, case: Case) -> RegistryNumber | None:
        """The case's next document number; None for a case with no number (generated data)."""
        own = RegistryNumber.parse(case.registry_number or "")
        if own is None:
            return None
        return own.of_document(uow.registry.draw(own.series, own.year, own.number))

    def enter(
        self,
        uow: UnitOfWork,
        number: RegistryNumber,
        case: Case,
        kind: DocumentKind,
        title: str,
        at: dt.datetime,
        event_seq: int,
        *,
        attachment_id: int | None = None,
        decision_id: int | None = None,
        transition: str | None = None,
    ) -> RegistryEntry:
        assert case.id is not None
        return uow.registry.add(
            RegistryEntry(
                series=number.series,
                year=number.year,
                number=number.number,
                document=number.document,
                registry_number=str(number),
                case_id=case.id,
                direction=kind.direction.value,
                kind=kind.kind,
                attachment_id=attachment_id,
                decision_id=decision_id,
                transition=transition,
                title=title,
                registered_at=at,
                event_seq=event_seq,
            )
        )

    def number_sent(self, uow: UnitOfWork, case: Case, transition: str) -> RegistryNumber | None:
        """The number of the decision `transition` sends the applicant, if it sends one."""
        return self.number_document(uow, case) if self.rules.sent_by(transition) else None

    def enter_sent(
        self,
        uow: UnitOfWork,
        number: RegistryNumber,
        case: Case,
        firing: Firing,
        event_at: dt.datetime,
        event_seq: int,
        language: str,
    ) -> RegistryEntry:
        """The decision a transition sent, with the grant decision it confirmed, if it did."""
        sent = self.rules.sent_by(firing.transition.name)
        assert sent is not None and case.id is not None
        decision_id = None
        if any(isinstance(r, DecisionConfirmed) for r in firing.records):
            confirmed = [
                d for d in uow.finances.decisions(case.id) if d.status == DecisionStatus.confirmed
            ]
            decision_id = confirmed[-1].id if confirmed else None
        return self.enter(
            uow,
            number,
            case,
            sent,
            sent.title(language),
            event_at,
            event_seq,
            decision_id=decision_id,
            transition=firing.transition.name,
        )

    def page(
        self, uow: UnitOfWork, actor: Actor, where: RegistryFilter, limit: int, cursor: str | None
    ) -> Page[RegistryEntryPublic]:
        require(actor, Action.registry_read)
        rows, next_cursor = uow.registry.page(where, limit, cursor)
        return Page(items=[RegistryEntryPublic.model_validate(r) for r in rows], cursor=next_cursor)

    def labels(self, language: str) -> dict[str, str]:
        """What each kind of entry is called, in `language` (states/registry.toml)."""
        return {kind: d.title(language) for kind, d in self.rules.labels().items()}

    def of_case(self, uow: UnitOfWork, case_id: int) -> list[RegistryEntryPublic]:
        """A case's register, for whoever may read the case (the caller has checked)."""
        return [RegistryEntryPublic.model_validate(r) for r in uow.registry.of_case(case_id)]
