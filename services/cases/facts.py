"""What the rules know of a case: its row always, and what a transition needs of the rest."""

from __future__ import annotations

import json
from typing import Any

from services.cases.views import CASE_FACT_FIELDS
from services.deadlines.extensions import effective_call
from services.programmes import ProgrammeRegistry
from services.storage.models import Case
from services.storage.unit_of_work import UnitOfWork
from workflow.case import AgreementFacts, CaseFacts, PartyFacts, PendingDecision, PoolFacts
from workflow.lifecycle import CostLine
from workflow.money import Money

# What a new case's creation effects may read: its call, for deadlines that hang on it.
CREATION_NEEDS = frozenset({"call"})


def load_facts(
    uow: UnitOfWork, programmes: ProgrammeRegistry, case: Case, needs: frozenset[str] = frozenset()
) -> CaseFacts:
    """The case's facts; a transition whose guards check no pool neither reads nor locks it."""
    programme = programmes.require(case.programme_id)
    assert case.id is not None
    currency = programme.currency
    extra: dict[str, Any] = {}
    if "call" in needs:
        extra["call"] = effective_call(uow, programme, case.programme_id, case.call_code, case.id)
    if "pending_decision" in needs and (p := uow.finances.pending_decision(case.id)) is not None:
        extra["pending_decision"] = PendingDecision(
            Money(p.amount, currency), p.period_start, p.period_end, p.conditions, p.proposed_by
        )
    if "parties" in needs:
        extra["parties"] = tuple(
            PartyFacts(p.organisation_id, kind, p.is_lead)
            for p, kind in uow.cases.parties_with_kinds(case.id)
        )
    if "agreement" in needs and case.agreement_id is not None:
        extra["agreement"] = _agreement(uow, case.agreement_id)
    if "pool" in needs and programme.budget is not None:
        # Only what commits money queues on the pool's lock; a proposal reads what it has left.
        committed = uow.programmes.committed(case.programme_id, lock="pool_lock" in needs)
        extra["pool"] = PoolFacts(committed=Money(committed, currency))
    if "checklist" in needs and programme.checklist:
        extra["checklist"] = {a.key: json.loads(a.answer) for a in uow.checklists.of_case(case.id)}
    if "budget" in needs:
        extra["budget_lines"] = tuple(
            CostLine(b.line, b.category, Money(b.amount, currency))
            for b in uow.finances.budget(case.id)
        )
    return CaseFacts(
        id=case.id,
        programme=programme,
        state=case.state,
        version=case.version,
        organisation_id=case.organisation_id,
        **extra,
        **{f: getattr(case, f) for f in CASE_FACT_FIELDS},
    )


def _agreement(uow: UnitOfWork, agreement_id: int) -> AgreementFacts | None:
    agreement = uow.organisations.agreement(agreement_id)
    if agreement is None:
        return None
    return AgreementFacts(
        id=agreement_id,
        title=agreement.title,
        valid_from=agreement.valid_from,
        valid_to=agreement.valid_to,
        party_ids=frozenset(uow.organisations.agreement_parties(agreement_id)),
        local_tracks=len(json.loads(agreement.local_tracks)),
    )
