"""A new case's first event records only what differs from a new case, and folds to the same case
as a first event that records every field (as events of release 0.1 do)."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlmodel import col, select

from services.storage.models import AuditEvent
from tests.support import Api, tables
from workflow.money import Money
from workflow.read_model import AT_CREATION, compact_snapshot, fold

# A created event's snapshot as release 0.1 wrote it (tests/fixtures/release-0.1), every field.
FULL = {
    "agreement_id": None,
    "assessed_eligible": None,
    "balance_due": "0.00",
    "call": "2017",
    "certification": None,
    "currency": "DKK",
    "disbursed_amount": "0.00",
    "eligible_spent": None,
    "granted_amount": "0.00",
    "organisation_id": 12,
    "parties": [{"is_lead": True, "organisation_id": 12}],
    "period_end": None,
    "period_start": None,
    "programme": "star-flere-skal-med-2017",
    "repaid_amount": "0.00",
    "reported_costs": None,
    "requested_amount": None,
    "target_group_size": None,
    "title": "Opkvalificering i Jobcenter Aarhus",
    "to_repay": "0.00",
}


def _created(changes: dict) -> dict:
    return {
        "kind": "created",
        "changes": changes,
        "to_state": "application_draft",
        "case_version": 1,
        "at": "2017-10-02T07:00:00.000000Z",
        "details": {},
    }


def _as_written(snapshot: dict) -> dict:
    """The snapshot as the case service hands it to the encoder: amounts as Money."""
    return {
        name: Money(value, "DKK")
        if isinstance(value, str) and name.endswith(("amount", "due"))
        else value
        for name, value in snapshot.items()
    } | {"to_repay": Money(0, "DKK")}


def test_a_compact_snapshot_folds_to_the_same_case_as_a_full_one() -> None:
    compact = compact_snapshot(_as_written(FULL))
    assert compact == {
        "call": "2017",
        "currency": "DKK",
        "organisation_id": 12,
        "programme": "star-flere-skal-med-2017",
        "title": "Opkvalificering i Jobcenter Aarhus",
    }
    full, lean = fold([_created(FULL)]), fold([_created(json.loads(json.dumps(compact)))])
    assert full.keys() <= lean.keys()
    assert {name: lean[name] for name in full} == {
        name: Decimal(value) if isinstance(value, str) and value == "0.00" else value
        for name, value in full.items()
    }
    assert lean["invited_partners"] == [] and lean["programme_version"] is None


def test_a_field_away_from_its_default_is_kept() -> None:
    changed = _as_written(FULL) | {
        "granted_amount": Money(5, "DKK"),
        "parties": [
            {"is_lead": True, "organisation_id": 12},
            {"is_lead": False, "organisation_id": 3},
        ],
        "target_group_size": 0,
        "invited_partners": [7],
    }
    compact = compact_snapshot(changed)
    assert compact["granted_amount"] == Money(5, "DKK")
    assert compact["target_group_size"] == 0 and compact["invited_partners"] == [7]
    assert len(compact["parties"]) == 2
    assert set(AT_CREATION) - set(compact) == set(AT_CREATION) - {
        "call", "granted_amount", "target_group_size", "invited_partners"
    }  # fmt: skip


def test_a_new_case_records_only_what_differs_and_reads_back_the_same(api: Api, app) -> None:
    case = api.create_case("heby", "sf-uppsala-nya-vagar", "Nya vägar")
    with tables(app) as session:
        query = select(AuditEvent.payload).where(AuditEvent.case_id == case["id"])
        first = json.loads(session.exec(query.order_by(col(AuditEvent.seq))).first() or "{}")
    assert first["kind"] == "created"
    recorded = first["changes"]
    assert "parties" not in recorded and "granted_amount" not in recorded
    assert all(recorded[name] not in (None, []) for name in set(recorded) & set(AT_CREATION))
    history = api.get("auditor", f"/cases/{case['id']}?as_of={first['at']}").json()
    now = api.get("auditor", f"/cases/{case['id']}").json()
    assert history.pop("as_of") and now.pop("as_of") is None
    assert history == now
