"""Each seed programme run as configuration, through the API, by its own rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.access import add_user, create_token
from services.cases.attachments import attachment_path
from services.deadlines.keeper import DeadlineKeeper
from tests.support import Api
from workflow.actors import Role
from workflow.clock import SettableClock

CPH, STO = ZoneInfo("Europe/Copenhagen"), ZoneInfo("Europe/Stockholm")
STAR, DUA, SF, DELMOS = (
    "star-flere-skal-med-2017",
    "dua-2021",
    "sf-uppsala-nya-vagar",
    "delmos-2018",
)
ROOT = Path(__file__).resolve().parent.parent


def organisation(api: Api, name: str, kind: str = "municipality", country: str = "SE") -> int:
    response = api.post(
        "caseworker", "/organisations", json={"name": name, "kind": kind, "country": country}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def agreement(
    api: Api, parties: list[int], valid_to: str | None = "2022-12-31", tracks: int = 3
) -> int:
    service = organisation(api, "Arbetsförmedlingen", "agency")
    response = api.post(
        "caseworker",
        "/agreements",
        json={
            "title": "Lokal överenskommelse om unga till arbete",
            "employment_service_id": service,
            "party_ids": parties,
            "valid_from": "2017-01-01",
            "valid_to": valid_to,
            "local_tracks": ["Vård och omsorg", "Bygg", "Handel", "Transport"][:tracks],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def dua_cluster(api: Api, size: int = 3, **agreement_terms) -> tuple[dict, int]:
    ids = api.people.org_ids
    partners = [ids["heby"], ids["tierp"]][: size - 1]
    agreement_id = agreement(api, [ids["knivsta"], *partners], **agreement_terms)
    case = api.create_case(
        "knivsta", DUA, "Kluster Uppsala norr", partner_ids=partners, agreement_id=agreement_id
    )
    for partner in partners:  # consent given on paper, recorded by the caseworker
        case = api.confirm_partner("caseworker", case["id"], partner)
    return case, agreement_id


DUA_BUDGET = [
    {"line": "Utvecklingsledare", "category": "staff", "amount": "1200000"},
    {"line": "Resor", "category": "travel", "amount": "150000"},
    {"line": "Administration", "category": "administration", "amount": "150000"},
]


# -- Dua 2021: clusters, a shared pool, repayment of unused funds -------------------------------


def test_dua_cluster_of_three_under_a_valid_agreement_is_granted_and_repays_unused_funds(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case, _ = dua_cluster(api)
    cid = case["id"]
    api.move("knivsta", cid, "apply_implementation", requested_amount="1500000", budget=DUA_BUDGET)
    api.move(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="1500000",
        period_start="2021-04-01",
        period_end="2022-03-31",
    )
    granted = api.move("approver", cid, "grant_implementation")
    assert granted["disbursed_amount"] == "1500000.00"  # a state grant is paid with the decision
    money = api.get("caseworker", f"/cases/{cid}/finances").json()
    assert [(c["fiscal_year"], c["amount"]) for c in money["commitments"]] == [
        (2021, "1130136.99"),
        (2022, "369863.01"),
    ]
    assert money["disbursements"] == [
        {"amount": "1500000.00", "kind": "advance", "paid_at": money["disbursements"][0]["paid_at"]}
    ]

    api.move("caseworker", cid, "end_period")
    report = api.move(
        "knivsta",
        cid,
        "submit_final_report",
        cost_lines=[
            {"line": "Utvecklingsledare", "category": "staff", "amount": "1100000"},
            {"line": "Resor", "category": "travel", "amount": "90000"},
            {"line": "Fortbildning", "category": "staff_training", "amount": "60000"},
        ],
    )
    assert report["reported_costs"] == "1250000.00"
    assert report["assessed_eligible"] == "1190000.00"
    excluded = api.history("auditor", cid)[-1]["details"]["excluded"]
    assert [(e["line"], e["reason"]) for e in excluded] == [
        (
            "Fortbildning",
            "staff_training is not eligible: Statsbidraget kan inte användas för fortbildning av personal.",
        )
    ]
    settled = api.move("caseworker", cid, "accept_final_report")
    # Funds received but not used for the purpose are paid back (seeds/000): 1 500 000 − 1 190 000.
    assert settled["to_repay"] == "310000.00"
    settlement = api.history("auditor", cid)[-1]["details"]["settlement"]
    assert settlement == {
        "granted": "1500000.00",
        "disbursed": "1500000.00",
        "eligible_spent": "1190000.00",
        "to_repay": "310000.00",
        "balance_due": "0.00",
        "rules": [
            "to_repay = max(0, disbursed - eligible_spent)",
            "balance_due = max(0, min(granted, eligible_spent) - disbursed)",
        ],
    }
    api.move("caseworker", cid, "claim_repayment")
    assert api.fire("caseworker", cid, "register_payment", amount="300000").status_code == 409
    assert api.move("caseworker", cid, "register_payment", amount="310000")["state"] == "closed"


def test_dua_application_from_a_cluster_of_two_municipalities_is_refused_naming_the_rule(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case, _ = dua_cluster(api, size=2)
    refused = api.fire("knivsta", case["id"], "apply_implementation", requested_amount="500000")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["rule"] == f"{DUA}#eligibility.cluster.min_municipalities"
    assert "2 municipalities; at least 3 are required" in problem["detail"]
    assert api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "application_draft"


def test_dua_cluster_whose_agreement_expired_the_day_before_the_decision_is_refused(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case, _ = dua_cluster(api, valid_to="2021-05-31")
    cid = case["id"]
    api.move("knivsta", cid, "apply_implementation", requested_amount="500000")
    api.move(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="500000",
        period_start="2021-06-01",
        period_end="2021-12-31",
    )
    clock.set(
        dt.datetime(2021, 6, 1, 10, 0, tzinfo=STO)
    )  # the decision date; the agreement ran out yesterday
    refused = api.fire("approver", cid, "grant_implementation")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["rule"] == f"{DUA}#eligibility.cluster.agreement_valid_on"
    assert (
        "expired on 2021-05-31" in problem["detail"]
        and "decision date 2021-06-01" in problem["detail"]
    )
    assert api.get("caseworker", f"/cases/{cid}").json()["state"] == "implementation_proposed"


def test_dua_agreement_must_describe_three_local_tracks(api: Api, clock: SettableClock) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case, _ = dua_cluster(api, tracks=2)
    refused = api.fire("knivsta", case["id"], "apply_implementation", requested_amount="500000")
    assert refused.json()["rule"] == f"{DUA}#eligibility.cluster.min_local_tracks"


def test_dua_decision_cannot_commit_more_than_the_pool_has_left_across_calls(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case, _ = dua_cluster(api)
    cid = case["id"]
    api.move("knivsta", cid, "apply_implementation", requested_amount="7000000")
    # 25 MSEK for 2021, of which earlier calls used 19: 6 MSEK is left.
    refused = api.fire(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="6500000",
        period_start="2021-04-01",
        period_end="2021-12-31",
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["left"] == "6000000.00" and problem["rule"] == f"{DUA}#budget.pool"
    assert "the pool has 6000000.00 SEK left" in problem["detail"]
    api.move(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="6000000",
        period_start="2021-04-01",
        period_end="2021-12-31",
    )
    api.move("approver", cid, "grant_implementation")
    # The next decision finds the pool empty.
    other, _ = dua_cluster(api)
    api.move("knivsta", other["id"], "apply_implementation", requested_amount="100000")
    empty = api.fire(
        "caseworker",
        other["id"],
        "propose_implementation_grant",
        amount="1",
        period_start="2021-04-01",
        period_end="2021-12-31",
    )
    assert empty.status_code == 409 and empty.json()["left"] == "0.00"


# -- Samordningsförbundet: one decision with a ceiling, a period and conditions ------------------


def test_samordningsforbundet_decision_carries_ceiling_period_and_conditions_for_a_joint_application(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2020, 9, 1, 9, 0, tzinfo=STO))
    af = organisation(api, "Arbetsförmedlingen", "agency")
    municipalities = [
        api.people.org_ids["knivsta"],
        api.people.org_ids["heby"],
        api.people.org_ids["tierp"],
    ]
    case = api.create_case(
        "caseworker", SF, "Nya vägar för samverkan", organisation_id=af, partner_ids=municipalities
    )
    assert [p["is_lead"] for p in case["parties"]] == [True, False, False, False]
    cid = case["id"]
    refused = api.fire("knivsta", cid, "apply_implementation", requested_amount="1050000")
    assert refused.status_code == 403, "a co-applicant sees the case but only the lead acts"
    lead = applicant_of(api, af)
    applied = api.client.post(
        f"/cases/{cid}/transitions/apply_implementation",
        json={"requested_amount": "1050000"},
        headers=lead,
    )
    assert applied.status_code == 200, applied.text
    above = api.fire(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="1100000",
        period_start="2020-10-01",
        period_end="2021-12-31",
    )
    assert above.status_code == 409 and above.json()["guard"] == "not_above_requested"
    conditions = "att finansieringen gäller under förutsättning att förbundet beviljas medel från medlemsorganisationerna framöver"
    api.move(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount="1050000",
        period_start="2020-10-01",
        period_end="2021-12-31",
        conditions=conditions,
    )
    granted = api.move("approver", cid, "grant_implementation")
    assert (granted["granted_amount"], granted["period_start"], granted["period_end"]) == (
        "1050000.00",
        "2020-10-01",
        "2021-12-31",
    )
    money = api.get("auditor", f"/cases/{cid}/finances").json()
    decision = money["decisions"][0]
    assert (decision["status"], decision["amount"], decision["conditions"]) == (
        "confirmed",
        "1050000.00",
        conditions,
    )
    assert [(c["fiscal_year"], c["amount"]) for c in money["commitments"]] == [
        (2020, "211378.56"),
        (2021, "838621.44"),
    ]
    # And through to the end: the period ends, the report shows less used than was paid, the
    # rest is claimed back and repaid.
    api.move("caseworker", cid, "end_period")
    report = api.client.post(
        f"/cases/{cid}/transitions/submit_final_report",
        json={"reported_costs": "1012000"},
        headers=lead,
    )
    assert report.status_code == 200, report.text
    settled = api.move("caseworker", cid, "accept_final_report", eligible_spent="980000")
    assert settled["to_repay"] == "70000.00"
    api.move("caseworker", cid, "claim_repayment")
    assert api.move("caseworker", cid, "register_payment", amount="70000")["state"] == "closed"


def applicant_of(api: Api, organisation_id: int) -> dict[str, str]:
    """Headers for a new applicant user of `organisation_id`."""
    app = api.client.app  # type: ignore[attr-defined]
    with app.state.services.units.writing() as uow:
        user = add_user(
            uow,
            app.state.services.clock,
            f"applicant {organisation_id}",
            Role.applicant,
            organisation_id,
        )
        token = create_token(uow, app.state.services.clock, user)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


# -- Delmos: who may apply -----------------------------------------------------------------------


def test_delmos_is_open_to_non_profit_associations_but_not_to_agencies(
    api: Api, clock: SettableClock
) -> None:
    association = organisation(api, "Föreningen Tillsammans", "non_profit")
    agency = organisation(api, "Myndigheten", "agency")
    ok = api.create_case("caseworker", DELMOS, "Förening", organisation_id=association)
    no = api.create_case("caseworker", DELMOS, "Myndighet", organisation_id=agency)
    for case in (ok, no):
        api.move("caseworker", case["id"], "invite")
    assert (
        api.client.post(
            f"/cases/{ok['id']}/transitions/apply_mapping",
            json={"requested_amount": "300000"},
            headers=applicant_of(api, association),
        ).status_code
        == 200
    )
    refused = api.client.post(
        f"/cases/{no['id']}/transitions/apply_mapping",
        json={"requested_amount": "300000"},
        headers=applicant_of(api, agency),
    )
    assert refused.status_code == 409
    assert refused.json()["rule"] == f"{DELMOS}#eligibility.applicant_kinds"
    assert "agency may not apply" in refused.json()["detail"]


# -- STAR 2017: a pooled round, a floor, proportional shares, accounts in arrears ---------------


STAR_BUDGET = [
    {"line": "Kurser og workshops", "category": "activities", "amount": "400000"},
    {"line": "Lokaler og forplejning", "category": "premises_and_catering", "amount": "60000"},
    {"line": "Transport", "category": "transport", "amount": "40000"},
]


def test_star_round_shares_the_pool_after_the_deadline_and_pays_in_arrears_what_the_accounts_support(
    api: Api, app, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2017, 10, 16, 9, 0, tzinfo=CPH))
    aalborg = organisation(api, "Aalborg Kommune", country="DK")
    applicants = {"aarhus": (3000, "4000000"), "odense": (2000, "3000000")}
    cases = {}
    for who, (target, requested) in applicants.items():
        case = api.create_case(who, STAR, f"Opkvalificering {who}")
        api.move(
            who,
            case["id"],
            "apply_implementation",
            requested_amount=requested,
            target_group_size=target,
            budget=STAR_BUDGET,
        )
        cases[who] = case["id"]
    small = api.create_case("caseworker", STAR, "Aalborg", organisation_id=aalborg)
    api.client.post(
        f"/cases/{small['id']}/transitions/apply_implementation",
        json={"requested_amount": "25000", "target_group_size": 5, "budget": STAR_BUDGET},
        headers=applicant_of(api, aalborg),
    )
    cases["aalborg"] = small["id"]

    early = api.get("caseworker", f"/programmes/{STAR}/calls/2017/allocation")
    assert early.status_code == 409 and "open until 31-10-2017 12:00" in early.json()["detail"]

    clock.set(dt.datetime(2017, 11, 6, 10, 0, tzinfo=CPH))
    preview = api.get("caseworker", f"/programmes/{STAR}/calls/2017/allocation").json()
    shares = {row["case_id"]: row["amount"] for row in preview["allocations"]}
    assert preview["feasible"] and sum(shares.values()) == 5_300_000
    assert shares[cases["aalborg"]] == 25_000  # what it asked for: above the floor, below its share
    rest = 5_300_000 - 25_000 - 40_000  # after Aalborg's request and the two floors, shared 3 : 2
    assert (shares[cases["aarhus"]], shares[cases["odense"]]) == (
        20_000 + rest * 3 // 5,
        20_000 + rest * 2 // 5,
    )
    events_before = len(api.history("auditor", cases["aarhus"]))
    assert (
        api.get("caseworker", f"/cases/{cases['aarhus']}").json()["state"]
        == "implementation_applied"
    ), "a preview changes nothing"

    confirmed = api.post(
        "caseworker",
        f"/programmes/{STAR}/calls/2017/allocation",
        json={"period_start": "2017-11-01", "period_end": "2018-12-31"},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["proposed"]) == 3
    for cid in cases.values():
        history = api.history("auditor", cid)
        assert history[-1]["transition"] == "propose_implementation_grant"
        assert history[-1]["details"]["allocation"]["rule"] == f"{STAR}#allocation"
        api.move(
            "approver", cid, "grant_implementation"
        )  # four eyes: each share confirmed by an approver
    assert len(api.history("auditor", cases["aarhus"])) == events_before + 2

    # The period ends on its own; Odense reports; its accounts exclude a line outside the budget
    # and an overhead line (seeds/002), and the payout is what is eligible, paid after the report.
    clock.set(dt.datetime(2019, 1, 2, 9, 0, tzinfo=CPH))
    DeadlineKeeper(app.state.services).sweep()
    odense = cases["odense"]
    assert api.get("caseworker", f"/cases/{odense}").json()["state"] == "reporting"
    api.move(
        "odense",
        odense,
        "submit_final_report",
        certification="auditor",
        cost_lines=[
            {"line": "Kurser og workshops", "category": "activities", "amount": "380000"},
            {"line": "Transport", "category": "transport", "amount": "35000"},
            {"line": "Studietur til Malmø", "category": "activities", "amount": "50000"},
            {"line": "Kurser og workshops", "category": "overhead", "amount": "20000"},
        ],
    )
    reasons = {
        e["line"] + "/" + e["category"]: e["reason"]
        for e in api.history("auditor", odense)[-1]["details"]["excluded"]
    }
    assert reasons == {
        "Studietur til Malmø/activities": "'Studietur til Malmø' is not a line of the approved budget",
        "Kurser og workshops/overhead": "overhead is not eligible: Overhead (driftsomkostninger)",
    }
    settled = api.move("caseworker", odense, "accept_final_report")
    granted = Decimal(settled["granted_amount"])
    assert settled["eligible_spent"] == "415000.00"
    assert Decimal(settled["balance_due"]) == min(granted, Decimal("415000")) - 0
    closed = api.move("caseworker", odense, "settle")
    assert closed["disbursed_amount"] == "415000.00" and closed["state"] == "closed"
    paid = api.get("auditor", f"/cases/{odense}/finances").json()["disbursements"]
    assert [(p["amount"], p["kind"]) for p in paid] == [("415000.00", "payout")]


@pytest.mark.parametrize(
    ("granted", "certification", "status"),
    [("500001", "management", 409), ("500001", "auditor", 200), ("500000", "management", 200)],
)
def test_star_accounts_above_500000_dkk_need_an_auditors_certification(
    api: Api, clock: SettableClock, granted: str, certification: str, status: int
) -> None:
    case = api.create_case("aarhus", STAR)
    cid = case["id"]
    budget = [{"line": "Kurser", "category": "activities", "amount": "600000"}]
    api.move(
        "aarhus",
        cid,
        "apply_implementation",
        requested_amount="600000",
        target_group_size=100,
        budget=budget,
    )
    api.move(
        "caseworker",
        cid,
        "propose_implementation_grant",
        amount=granted,
        period_start="2017-11-01",
        period_end="2018-12-31",
    )
    api.move("approver", cid, "grant_implementation")
    api.move("caseworker", cid, "end_period")
    api.move(
        "aarhus",
        cid,
        "submit_final_report",
        certification=certification,
        cost_lines=[{"line": "Kurser", "category": "activities", "amount": "480000"}],
    )
    response = api.fire("caseworker", cid, "accept_final_report")
    assert response.status_code == status, response.text
    if status == 409:
        problem = response.json()
        assert problem["guard"] == "certified_as_required"
        assert problem["rule"] == f"{STAR}#certification.auditor_above"
        assert "need an auditor's certification, not management's" in problem["detail"]
        assert api.get("caseworker", f"/cases/{cid}").json()["state"] == "final_report_submitted"


# -- attachments, the published list, and the programme files themselves -----------------------


def test_an_attachment_is_stored_by_its_sha256_which_the_audit_event_records(api: Api, app) -> None:
    case = api.create_case("knivsta", DELMOS)
    pdf = b"%PDF-1.4 intresseanmalan\n"
    uploaded = api.post(
        "knivsta",
        f"/cases/{case['id']}/attachments",
        data={"kind": "application_form"},
        files={"file": ("intresseanmalan.pdf", pdf, "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["sha256"] == hashlib.sha256(pdf).hexdigest()
    event = api.history("auditor", case["id"])[-1]
    assert (
        event["transition"] == "attachment_added"
        and event["details"]["attachment"]["sha256"] == meta["sha256"]
    )
    download = api.get("auditor", f"/cases/{case['id']}/attachments/{meta['id']}")
    assert download.content == pdf
    for name, content in (("virus.exe", b"MZ"), ("tom.pdf", b"")):
        refused = api.post(
            "knivsta", f"/cases/{case['id']}/attachments", files={"file": (name, content)}
        )
        assert refused.status_code == 422
    assert len(api.get("knivsta", f"/cases/{case['id']}/attachments").json()) == 1
    attachment_path(app.state.settings.data_dir, meta["sha256"]).write_bytes(b"%PDF-1.4 altered\n")
    altered = api.get("auditor", f"/cases/{case['id']}/attachments/{meta['id']}")
    assert altered.status_code == 409 and "no longer matches" in altered.json()["detail"]


def test_the_published_list_of_granted_grants_as_csv_and_360giving_json(
    api: Api, clock: SettableClock
) -> None:
    case = api.create_case("knivsta", DELMOS, "Kartläggning i Knivsta")
    api.move("caseworker", case["id"], "invite")
    api.move("knivsta", case["id"], "apply_mapping", requested_amount="350000")
    api.move(
        "caseworker",
        case["id"],
        "propose_mapping_grant",
        amount="350000",
        period_start="2018-07-01",
        period_end="2018-12-31",
    )
    api.move("approver", case["id"], "grant_mapping")
    csv_text = api.client.get("/grants.csv").text
    assert csv_text.splitlines()[0].startswith(
        "reference,programme,programme_title,funder,recipient"
    )
    assert "Kartläggning i Knivsta" in csv_text and ",350000.00,SEK," in csv_text
    grants = api.client.get("/grants.json").json()["grants"]
    assert len(grants) == 1
    grant = grants[0]
    assert grant["amountAwarded"] == 350000
    assert grant["recipientOrganization"][0]["name"] == "Knivsta kommun"
    assert grant["fundingOrganization"][0]["name"] == "Delegationen mot segregation (Delmos)"
    assert grant["plannedDates"] == [{"startDate": "2018-07-01", "endDate": "2018-12-31"}]


def test_programs_check_on_a_misspelt_key_fails_with_the_file_the_key_and_a_hint(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "dua-broken.toml"
    source = (ROOT / "config" / "programmes" / "dua-2021.toml").read_text()
    broken.write_text(source.replace("min_municipalities = 3", "min_municipalites = 3"))
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "programs", "check", str(broken)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )
    assert result.returncode == 1
    assert str(broken) in result.stderr
    assert (
        "eligibility.cluster.min_municipalites: unknown key: did you mean 'min_municipalities'?"
        in result.stderr
    )
    ok = subprocess.run(
        [sys.executable, "-m", "services.cli", "programs", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.dumps("dua-2021")[1:-1] in ok.stdout
