"""Payment in tranches (issue 18): each programme's decisions paid as its seed text says, payments
registered against a tranche, arrears and repayments computed from the schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from services.deadlines.keeper import DeadlineKeeper
from states import load_definition
from tests.support import Api, tables
from tests.test_programmes import DUA_BUDGET, dua_cluster
from workflow.catalogue import load_catalogue
from workflow.clock import SettableClock
from workflow.lifecycle import load_lifecycle
from workflow.money import Money
from workflow.programmes import ProgrammeError
from workflow.tranches import Payment, conditions, split

STAR, DUA, DELMOS = "star-flere-skal-med-2017", "dua-2021", "delmos-2018"
CPH, STO = ZoneInfo("Europe/Copenhagen"), ZoneInfo("Europe/Stockholm")
ROOT = Path(__file__).resolve().parent.parent
DECISION = {"period_start": "2018-09-01", "period_end": "2019-06-30"}


def schedule(api: Api, case_id: int) -> dict:
    response = api.get("caseworker", f"/cases/{case_id}/tranches")
    assert response.status_code == 200, response.text
    return response.json()


def pay(api: Api, case_id: int, number: int, amount: str, on: str = "2019-02-01"):
    return api.post(
        "caseworker",
        f"/cases/{case_id}/tranches/{number}/payments",
        json={"amount": amount, "paid_on": on},
    )


def star_granted(api: Api, clock: SettableClock, amount: str = "150000") -> int:
    """A STAR case granted before the 2017 round closed, its period ended."""
    clock.set(dt.datetime(2017, 10, 2, 9, 0, tzinfo=CPH))
    case = api.create_case("aarhus", STAR, "Opkvalificering i jobcentret")["id"]
    api.move(
        "aarhus",
        case,
        "apply_implementation",
        requested_amount="180000",
        target_group_size=1200,
        budget=[
            {"line": "Kurser", "category": "activities", "amount": "150000"},
            {"line": "Lokaler", "category": "premises_and_catering", "amount": "30000"},
        ],
    )
    api.move(
        "caseworker",
        case,
        "propose_implementation_grant",
        amount=amount,
        period_start="2017-11-01",
        period_end="2018-12-31",
    )
    api.move("approver", case, "grant_implementation")
    return case


def star_report(api: Api, case: int) -> None:
    api.move(
        "aarhus",
        case,
        "submit_final_report",
        certification="management",
        cost_lines=[
            {"line": "Kurser", "category": "activities", "amount": "120000"},
            {"line": "Lokaler", "category": "premises_and_catering", "amount": "21000"},
        ],
    )


# -- The schedule as configuration -----------------------------------------------------------


def test_every_condition_is_released_by_transitions_the_lifecycle_has() -> None:
    lifecycle = load_lifecycle()
    names = lifecycle.transition_names()
    for condition in conditions().values():
        assert condition.released_by and condition.released_by <= set(names), condition.name
        assert condition.overdue_after in (None, *lifecycle.deadlines), condition.name


@pytest.mark.parametrize(
    ("tranches", "problem"),
    [
        (
            [("0.5", "decision"), ("0.4", "final_report")],
            "the shares of the tranches sum to 0.9, not 1",
        ),
        ([("0.5", "decision"), ("0.5", "on_a_whim")], "unknown condition 'on_a_whim'"),
        ([("rest", "decision"), ("rest", "final_report")], 'at most one tranche takes the "rest"'),
        ([("1.5", "decision")], "a share is more than 0 and at most 1"),
        ([("1", "decision"), ("rest", "final_report")], "nothing is left for the"),
    ],
)
def test_a_programme_whose_tranches_do_not_make_the_whole_or_name_an_unknown_condition_is_refused(
    tranches: list[tuple[str, str]], problem: str
) -> None:
    text = (ROOT / "config/programmes/dua-2021.toml").read_text()
    rules = "".join(
        f'[[payment.tranches]]\nshare = "{share}"\ncondition = "{condition}"\nsource = "t"\n\n'
        for share, condition in tranches
    )
    payment = text[text.index("[payment]") : text.index("[budget]")]
    text = text.replace(payment, '[payment]\ntiming = "up_front"\n\n' + rules)
    catalogue = load_catalogue(ROOT / "config/programmes")
    with pytest.raises(ProgrammeError) as refused:
        catalogue.parse(Path("dua-2021.toml"), text.encode())
    assert problem in str(refused.value)


def test_paid_in_arrears_a_programme_may_not_release_anything_on_the_decision() -> None:
    """seeds/002 line 49: "udbetalt bagudrettet på baggrund af regnskab og slutrapport"."""
    with pytest.raises(ValueError, match="paid in arrears, no tranche is released on the decision"):
        Payment.model_validate(
            {
                "timing": "in_arrears",
                "tranches": [
                    {"share": "0.5", "condition": "decision", "source": "t"},
                    {"share": "rest", "condition": "final_report", "source": "t"},
                ],
            }
        )


def test_shares_split_a_decision_in_whole_cents_summing_to_the_amount() -> None:
    rules = Payment.model_validate(
        {
            "timing": "up_front",
            "tranches": [
                {"share": "0.3333", "condition": "decision", "source": "t"},
                {"share": "rest", "condition": "final_report", "source": "t"},
            ],
        }
    ).schedule
    parts = split(Money("100000.01", "SEK"), rules)
    assert [str(p.amount) for p in parts] == ["33330.00", "66670.01"]


def test_each_seed_programme_cites_its_seed_for_how_it_pays() -> None:
    programmes = load_catalogue(ROOT / "config/programmes").programmes
    assert [t.condition for t in programmes[STAR].programme.payment.schedule] == ["final_report"]
    assert "seeds/002 line 49" in programmes[STAR].programme.payment.schedule[0].source
    assert [t.condition for t in programmes[DUA].programme.payment.schedule] == ["decision"]
    assert "seeds/000 line 23" in programmes[DUA].programme.payment.schedule[0].source
    assert "seeds/004" in programmes[DELMOS].programme.payment.schedule[0].source
    assert load_definition("tranches")["conditions"]["final_report"]["overdue_after"]


# -- Each programme as its seed says ---------------------------------------------------------


def test_delmos_pays_each_decision_up_front_and_computes_the_repayment_from_the_final_report(
    api: Api,
) -> None:
    """seeds/004 gives no payment rule (line 23: Slutrapportering); the programme file pays each
    step's decision with it, and the final report settles what was not used."""
    case = api.create_case("knivsta", DELMOS, "Kartläggning av segregation")["id"]
    api.move("caseworker", case, "invite")
    api.move("knivsta", case, "apply_mapping", requested_amount="400000")
    api.move("caseworker", case, "propose_mapping_grant", amount="350000", **DECISION)
    api.move("approver", case, "grant_mapping")
    mapping = schedule(api, case)
    assert [(t["number"], t["status"], t["allowed"], t["paid"]) for t in mapping["tranches"]] == [
        (1, "released", "350000.00", "350000.00")
    ]
    api.move("knivsta", case, "submit_plan", summary="Plan")
    api.move("knivsta", case, "apply_implementation", requested_amount="1500000")
    api.move("caseworker", case, "propose_implementation_grant", amount="1200000", **DECISION)
    api.move("approver", case, "grant_implementation")
    granted = schedule(api, case)
    # Everything payable on the decision, and paid with it: nothing in arrears.
    assert granted["released"] == granted["scheduled"] == granted["paid"] == "1550000.00"
    assert granted["arrears"] == "0.00" and granted["repayment"] is None
    assert [t["condition"] for t in granted["tranches"]] == ["decision", "decision"]
    paid = api.get("auditor", f"/cases/{case}/finances").json()["disbursements"]
    assert [(p["amount"], p["kind"]) for p in paid] == [
        ("350000.00", "advance"),
        ("1200000.00", "advance"),
    ]

    api.move("caseworker", case, "end_period")
    api.move("knivsta", case, "submit_final_report", reported_costs="1500000")
    api.move("caseworker", case, "accept_final_report", eligible_spent="1400000")
    settled = schedule(api, case)
    assert settled["allowed"] == "1400000.00"
    assert settled["repayment"] == "150000.00"  # paid 1 550 000, eligible 1 400 000
    assert api.get("caseworker", f"/cases/{case}").json()["to_repay"] == "150000.00"


def test_star_pays_nothing_until_the_final_report_is_approved_then_the_eligible_amount(
    api: Api, clock: SettableClock
) -> None:
    """seeds/002 line 49: "Tilskud vil blive udbetalt bagudrettet på baggrund af regnskab og
    slutrapport."""
    case = star_granted(api, clock)
    granted = schedule(api, case)
    assert [(t["condition"], t["status"], t["allowed"]) for t in granted["tranches"]] == [
        ("final_report", "due", "0.00")
    ]
    assert granted["paid"] == granted["arrears"] == "0.00"
    assert pay(api, case, 1, "1000").status_code == 409  # not released: nothing payable

    api.move("caseworker", case, "end_period")
    star_report(api, case)
    assert schedule(api, case)["tranches"][0]["status"] == "due"  # submitted is not approved
    api.move("caseworker", case, "accept_final_report")
    approved = schedule(api, case)
    assert approved["tranches"][0]["status"] == "released"
    assert approved["allowed"] == approved["arrears"] == "141000.00"  # the eligible amount
    assert approved["repayment"] == "0.00"

    registered = pay(api, case, 1, "100000")
    assert registered.status_code == 201, registered.text
    assert registered.json()["arrears"] == "41000.00"
    event = api.history("auditor", case)[-1]
    assert (event["kind"], event["transition"]) == ("amended", "tranche_paid")
    assert event["changes"] == {"disbursed_amount": "100000.00", "balance_due": "41000.00"}

    closed = api.move("caseworker", case, "settle")  # pays the rest, against the same tranche
    assert closed["disbursed_amount"] == "141000.00"
    after = schedule(api, case)
    assert after["tranches"][0]["paid"] == "141000.00" and after["arrears"] == "0.00"
    paid = api.get("auditor", f"/cases/{case}/finances").json()["disbursements"]
    assert [(p["amount"], p["kind"]) for p in paid] == [
        ("100000.00", "registered"),
        ("41000.00", "payout"),
    ]


def test_dua_funds_received_on_the_decision_but_not_used_are_paid_back(
    api: Api, clock: SettableClock
) -> None:
    """seeds/000 line 23: "Medel som har mottagits men ej använts för det ändamål som bidraget
    avser, ska betalas tillbaka."""
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case = dua_cluster(api)[0]["id"]
    api.move("knivsta", case, "apply_implementation", requested_amount="1500000", budget=DUA_BUDGET)
    api.move(
        "caseworker",
        case,
        "propose_implementation_grant",
        amount="1500000",
        period_start="2021-04-01",
        period_end="2022-03-31",
    )
    api.move("approver", case, "grant_implementation")
    received = schedule(api, case)
    assert received["paid"] == "1500000.00" and received["arrears"] == "0.00"
    api.move("caseworker", case, "end_period")
    api.move(
        "knivsta",
        case,
        "submit_final_report",
        cost_lines=[
            {"line": "Utvecklingsledare", "category": "staff", "amount": "1100000"},
            {"line": "Resor", "category": "travel", "amount": "90000"},
        ],
    )
    api.move("caseworker", case, "accept_final_report")
    settled = schedule(api, case)
    assert settled["eligible_spent"] == "1190000.00"
    assert settled["repayment"] == "310000.00"  # 1 500 000 received − 1 190 000 used


# -- Payments and flags ------------------------------------------------------------------------


def test_a_payment_above_what_the_tranche_allows_is_refused_and_nothing_is_written(
    app, api: Api, clock: SettableClock
) -> None:
    """seeds/002 line 49: paid on the basis of the accounts, so no more than they show."""
    case = star_granted(api, clock)
    api.move("caseworker", case, "end_period")
    star_report(api, case)
    api.move("caseworker", case, "accept_final_report")
    before = (schedule(api, case), api.history("auditor", case))
    with tables(app) as session:
        payments_before = session.exec(text("SELECT count(*) FROM disbursement")).one()

    refused = pay(api, case, 1, "141000.01")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"].endswith("payment-above-tranche")
    assert "allows 141000.00 DKK more" in problem["detail"]
    assert (schedule(api, case), api.history("auditor", case)) == before
    with tables(app) as session:
        assert session.exec(text("SELECT count(*) FROM disbursement")).one() == payments_before
    assert pay(api, case, 2, "1").status_code == 409  # no such tranche
    assert pay(api, case, 1, "0").status_code == 422
    assert (
        api.post(
            "auditor",
            f"/cases/{case}/tranches/1/payments",
            json={"amount": "1", "paid_on": "2019-02-01"},
        ).status_code
        == 403
    )


def test_a_tranche_whose_final_report_deadline_has_passed_is_flagged_overdue(
    app, api: Api, clock: SettableClock
) -> None:
    """seeds/002 line 55: a final report and accounts at the end of the project; the programme
    file gives the deadline (three months after the period)."""
    case = star_granted(api, clock)
    api.move("caseworker", case, "end_period")  # schedules the final report for 2019-03-31
    clock.set(dt.datetime(2019, 3, 1, 9, 0, tzinfo=CPH))
    assert schedule(api, case)["tranches"][0]["overdue"] is False
    assert api.get("caseworker", "/tranches/overdue").json() == []

    clock.set(dt.datetime(2019, 4, 2, 9, 0, tzinfo=CPH))
    assert schedule(api, case)["tranches"][0]["overdue"] is True
    flagged = api.get("caseworker", "/tranches/overdue").json()
    assert [(f["case_id"], f["number"], f["condition"]) for f in flagged] == [
        (case, 1, "final_report")
    ]
    assert api.get("knivsta", "/tranches/overdue").json() == []  # not its case

    DeadlineKeeper(app.state.services).sweep()  # the deadline fires: the case is overdue too
    assert api.get("caseworker", f"/cases/{case}").json()["state"] == "report_overdue"
    assert schedule(api, case)["tranches"][0]["overdue"] is True

    star_report(api, case)  # late, but in: still overdue until it is approved
    assert schedule(api, case)["tranches"][0]["overdue"] is True
    api.move("caseworker", case, "accept_final_report")
    assert schedule(api, case)["tranches"][0]["overdue"] is False
    assert api.get("caseworker", "/tranches/overdue").json() == []
    assert Decimal(schedule(api, case)["arrears"]) == Decimal("141000")
