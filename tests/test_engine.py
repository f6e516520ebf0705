"""The engine alone, with no database and no server: one shared machine, guards and effects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from config.settings import Settings
from workflow.actors import Actor, Role
from workflow.case import CaseFacts, DecisionConfirmed, PartyFacts, PendingDecision
from workflow.catalogue import load_catalogue
from workflow.engine import GuardRefused, NotAllowedInState, RoleNotAllowed, UnknownTransition
from workflow.lifecycle import InvalidInputs

CATALOGUE = load_catalogue(Settings().programmes_dir)
ENGINE = CATALOGUE.engine
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
CASEWORKER = Actor(1, "Anna", Role.caseworker)
APPROVER = Actor(2, "Björn", Role.approver)
APPLICANT = Actor(3, "Knivsta", Role.applicant, organisation_id=10)


def case(state: str, programme: str = "delmos-2018", **facts) -> CaseFacts:
    config = CATALOGUE.programme(programme)
    assert config is not None
    facts.setdefault("parties", (PartyFacts(10, "municipality", True),))
    return CaseFacts(id=1, programme=config, state=state, version=1, organisation_id=10, **facts)


def proposed(by: int, amount: str = "1000") -> PendingDecision:
    return PendingDecision(Decimal(amount), dt.date(2026, 1, 1), dt.date(2026, 12, 31), "", by)


def test_one_machine_serves_every_case_and_keeps_none_of_them() -> None:
    machine = ENGINE.machine
    ENGINE.fire(case("interest_registered"), "invite", CASEWORKER, {}, NOW)
    with pytest.raises(RoleNotAllowed):
        ENGINE.fire(case("interest_registered"), "invite", APPLICANT, {}, NOW)
    with pytest.raises(GuardRefused):
        ENGINE.fire(
            case("mapping_proposed", pending_decision=proposed(by=2)),
            "grant_mapping",
            APPROVER,
            {},
            NOW,
        )
    assert ENGINE.machine is machine
    assert machine.models == []


def test_a_case_is_moved_from_its_stored_state_not_the_machines_initial_one() -> None:
    firing = ENGINE.fire(case("reporting"), "mark_report_overdue", CASEWORKER, {}, NOW)
    assert (firing.from_state, firing.to_state) == ("reporting", "report_overdue")


def test_refusals_say_why_from_coarsest_to_finest() -> None:
    with pytest.raises(UnknownTransition):
        ENGINE.fire(case("interest_registered"), "approve_everything", CASEWORKER, {}, NOW)
    with pytest.raises(RoleNotAllowed, match="may be fired by caseworker, not by applicant"):
        ENGINE.fire(case("interest_registered"), "invite", APPLICANT, {}, NOW)
    with pytest.raises(NotAllowedInState) as refused:
        ENGINE.fire(case("invited"), "invite", CASEWORKER, {}, NOW)
    assert refused.value.state == "invited"
    with pytest.raises(InvalidInputs) as invalid:
        ENGINE.fire(
            case("interest_registered"), "decline_interest", CASEWORKER, {"reason": "  "}, NOW
        )
    assert invalid.value.errors[0]["field"] == "reason"


def test_inputs_refuse_unknown_fields_negative_money_and_more_than_two_decimals() -> None:
    for body in (
        {"requested_amount": "100", "bonus": 1},
        {"requested_amount": "-1"},
        {"requested_amount": "1.005"},
        {},
    ):
        with pytest.raises(InvalidInputs):
            ENGINE.fire(case("invited"), "apply_mapping", APPLICANT, body, NOW)


def test_four_eyes_refuses_the_approver_who_proposed_and_accepts_another() -> None:
    with pytest.raises(GuardRefused) as refused:
        ENGINE.fire(
            case("implementation_proposed", pending_decision=proposed(by=2)),
            "grant_implementation",
            APPROVER,
            {},
            NOW,
        )
    assert refused.value.guard == "four_eyes" and refused.value.status == 403
    firing = ENGINE.fire(
        case("implementation_proposed", pending_decision=proposed(by=1, amount="5000")),
        "grant_implementation",
        APPROVER,
        {},
        NOW,
    )
    assert firing.to_state == "implementation_granted"
    assert firing.records[0] == DecisionConfirmed()
    # Delmos pays up front: the grant is disbursed with the decision.
    assert firing.changes["granted_amount"] == firing.changes["disbursed_amount"] == Decimal("5000")
    assert (firing.changes["period_start"], firing.changes["period_end"]) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )


def test_a_programme_paid_in_arrears_disburses_nothing_at_the_decision() -> None:
    firing = ENGINE.fire(
        case(
            "implementation_proposed",
            "star-flere-skal-med-2017",
            pending_decision=proposed(by=1, amount="150000"),
        ),
        "grant_implementation",
        APPROVER,
        {},
        NOW,
    )
    assert "disbursed_amount" not in firing.changes
    assert firing.changes["granted_amount"] == Decimal("150000")


@pytest.mark.parametrize(
    ("disbursed", "granted", "eligible", "to_repay", "balance_due"),
    [
        ("1000000", "1000000", "800000", "200000", "0"),  # up front, under-spent: repay the rest
        ("1000000", "1000000", "1200000", "0", "0"),  # up front, over-spent: nothing either way
        ("0", "150000", "141000", "0", "141000"),  # in arrears: pay what was eligible
        ("0", "150000", "170000", "0", "150000"),  # in arrears: never more than granted
        ("50000", "150000", "141000", "0", "91000"),  # in arrears after an advance
    ],
)
def test_settlement_repays_unused_funds_and_pays_arrears_up_to_the_grant(
    disbursed: str, granted: str, eligible: str, to_repay: str, balance_due: str
) -> None:
    facts = case(
        "final_report_submitted",
        disbursed_amount=Decimal(disbursed),
        granted_amount=Decimal(granted),
    )
    firing = ENGINE.fire(
        facts, "accept_final_report", CASEWORKER, {"eligible_spent": eligible}, NOW
    )
    assert firing.changes["to_repay"] == Decimal(to_repay)
    assert firing.changes["balance_due"] == Decimal(balance_due)


def test_a_decision_period_must_not_end_before_it_starts() -> None:
    body = {"amount": "100", "period_start": "2021-12-31", "period_end": "2020-10-01"}
    with pytest.raises(GuardRefused, match="period_is_ordered"):
        ENGINE.fire(
            case("implementation_applied"), "propose_implementation_grant", CASEWORKER, body, NOW
        )
