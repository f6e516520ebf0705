"""Opening a case: an interest registration or an application, where the programme lets one in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services import audit, idempotency
from services.cases.facts import CREATION_NEEDS, load_facts
from services.cases.records import store_records
from services.cases.views import CaseViews, creation_snapshot
from services.deadlines.extensions import effective_programme
from services.errors import CallClosed, InvalidRequest, ProgrammeRetired
from services.policy import narrowed_to, require
from services.programmes import ProgrammeRegistry
from services.registry import Registrar
from services.schemas import CasePublic, NewCase
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.access import Action, Subject
from workflow.actors import Actor
from workflow.audit_chain import format_time, plain
from workflow.catalogue import Catalogue
from workflow.clock import Clock
from workflow.programmes import ProgrammeConfig
from workflow.read_model import updates
from workflow.statuses import EventKind


class CaseOpening:
    def __init__(
        self,
        catalogue: Catalogue,
        clock: Clock,
        programmes: ProgrammeRegistry,
        views: CaseViews,
        registrar: Registrar | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.programmes = programmes
        self.views = views
        self.registrar = registrar or Registrar(catalogue.registry)

    def open(
        self, uow: UnitOfWork, actor: Actor, new: NewCase, idempotency_key: str | None = None
    ) -> CasePublic:
        require(actor, Action.case_open)
        programme = self.catalogue.programme(new.programme)
        if programme is None or not self.programmes.knows(new.programme):
            raise InvalidRequest(f"there is no programme {new.programme!r}", field="programme")
        lead = new.organisation_id
        own = narrowed_to(actor, Action.case_open)
        if own is not None:
            # Its own organisation is the lead, whether it says so or not; another is refused.
            lead = own if lead is None else lead
            require(actor, Action.case_open, Subject(frozenset({lead}), lead))
        if lead is None:
            raise InvalidRequest(
                "organisation_id is required: who is the lead applicant?", field="organisation_id"
            )
        partners = list(dict.fromkeys(p for p in new.partner_ids if p != lead))
        request = ("POST", "/cases", new.model_dump(mode="json"))
        return idempotency.once(
            uow,
            self.clock,
            actor,
            idempotency_key,
            request,
            CasePublic,
            lambda: self._open(uow, actor, new, programme, lead, partners),
        )

    def _open(
        self,
        uow: UnitOfWork,
        actor: Actor,
        new: NewCase,
        programme: ProgrammeConfig,
        lead: int,
        partners: list[int],
    ) -> CasePublic:
        missing = sorted({lead, *partners} - set(uow.organisations.kinds([lead, *partners])))
        if missing:
            raise InvalidRequest(f"no organisation with id {missing}", field="organisation_id")
        if new.agreement_id is not None and uow.organisations.agreement(new.agreement_id) is None:
            raise InvalidRequest(f"no agreement with id {new.agreement_id}", field="agreement_id")
        now = self.clock.now()
        row = uow.programmes.by_code(new.programme)
        if row is not None and row.retired_at is not None:
            raise ProgrammeRetired(
                f"{programme.title()} was retired on {row.retired_at:%Y-%m-%d}: it takes no new "
                f"cases ({row.retired_reason}); its running cases go on",
                retired_at=format_time(row.retired_at),
            )
        programme = effective_programme(uow, programme, self.programmes.id_of(new.programme))
        call = programme.open_call(now)
        if programme.calls and call is None:
            raise CallClosed(_closed_detail(programme, now), **_calls_closed(programme, now))
        case = Case(
            programme_id=self.programmes.id_of(new.programme),
            organisation_id=lead,
            title=new.title,
            state=programme.entry,
            version=1,
            call_code=call.code if call else None,
            programme_version=self.programmes.version_of(self.programmes.id_of(new.programme)),
            agreement_id=new.agreement_id,
            created_at=now,
            updated_at=now,
        )
        # Partners named by staff confirmed on paper; partners an applicant names confirm here.
        confirmed = narrowed_to(actor, Action.case_open) is None
        parties = uow.cases.add(case, lead, partners, confirmed)
        # Drawn here, after every refusal: a case not opened consumes no number.
        number = self.registrar.number_case(uow, programme, now)
        event = audit.record(
            uow,
            kind=EventKind.created,
            actor=actor,
            now=now,
            case_id=case.id,
            to_state=case.state,
            case_version=case.version,
            changes=creation_snapshot(self.views.public(uow, case, parties)),
            details={"registry_number": str(number)},
        )
        uow.cases.apply(case, updates(event.body))
        entry = self.catalogue.registry.case
        self.registrar.enter(uow, number, case, entry, case.title, event.at, event.seq)
        created = self.catalogue.engine.on_create(
            load_facts(uow, self.programmes, case, CREATION_NEEDS), actor, now
        )
        store_records(uow, case, created.records, actor, now, case.programme_version)
        return self.views.public(uow, case, parties)


def _closed_detail(programme: ProgrammeConfig, now: dt.datetime) -> str:
    closed = [
        f"call {c.code} closed {c.application_deadline.strftime('%d-%m-%Y %H:%M')}"
        for c in programme.calls
        if c.application_deadline is not None
        and now >= c.application_deadline.replace(tzinfo=programme.zone)
    ]
    said = "; ".join(closed) or "no call is open yet"
    return f"{programme.title()} takes no applications now: {said} ({programme.time_zone})"


def _calls_closed(programme: ProgrammeConfig, now: dt.datetime) -> dict[str, Any]:
    """What a refused applicant needs to know: when each call closed (or opens), in local time."""
    calls = []
    for call in programme.calls:
        entry: dict[str, Any] = {"call": call.code}
        if call.opens is not None:
            entry["opens"] = call.opens.replace(tzinfo=programme.zone).isoformat()
        if call.application_deadline is not None:
            entry["deadline"] = call.application_deadline.replace(tzinfo=programme.zone).isoformat()
        calls.append(entry)
    return {"calls": calls, "time_zone": programme.time_zone, "now": plain(now)}
