"""Whole cases driven over HTTP, checking each state and the history left behind."""

from __future__ import annotations

from decimal import Decimal

from tests.support import Api

DECISION = {
    "period_start": "2018-09-01",
    "period_end": "2019-06-30",
    "conditions": "Följer ansökan",
}


def walk(api: Api, case_id: int, steps: list[tuple[str, str, dict]]) -> list[str]:
    """Fire each step and check the state it lands in; returns the states visited."""
    states = []
    for who, name, inputs in steps:
        before = api.get(who, f"/cases/{case_id}").json()
        case = api.move(who, case_id, name, **inputs)
        assert case["version"] == before["version"] + 1
        states.append(case["state"])
    return states


def test_delmos_case_goes_from_interest_registration_to_closed_in_four_steps(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018", "Kartläggning av segregation")
    assert case["state"] == "interest_registered"
    assert case["reference"] == f"DELMOS-18-{case['id']:05d}"

    steps = [
        ("caseworker", "invite", {"note": "I linje med syftet"}),
        ("knivsta", "apply_mapping", {"requested_amount": "400000"}),
        ("caseworker", "propose_mapping_grant", {"amount": "350000", **DECISION}),
        ("approver", "grant_mapping", {}),
        ("knivsta", "submit_plan", {"summary": "Behovsanalys och plan"}),
        ("knivsta", "apply_implementation", {"requested_amount": "1500000"}),
        ("caseworker", "propose_implementation_grant", {"amount": "1200000", **DECISION}),
        ("approver", "grant_implementation", {}),
        ("caseworker", "end_period", {}),
        ("knivsta", "submit_final_report", {"reported_costs": "1500000"}),
        ("caseworker", "accept_final_report", {"eligible_spent": "1400000"}),
        ("caseworker", "claim_repayment", {}),
        ("caseworker", "register_payment", {"amount": "150000"}),
    ]
    visited = walk(api, case["id"], steps)
    assert visited == [
        "invited",
        "mapping_applied",
        "mapping_proposed",
        "mapping_granted",
        "plan_submitted",
        "implementation_applied",
        "implementation_proposed",
        "implementation_granted",
        "reporting",
        "final_report_submitted",
        "settlement",
        "repayment_claimed",
        "closed",
    ]

    final = api.get("auditor", f"/cases/{case['id']}").json()
    # Paid up front: both decisions, 350 000 + 1 200 000; 1 400 000 eligible, so 150 000 back.
    assert Decimal(final["granted_amount"]) == Decimal("1550000")
    assert Decimal(final["disbursed_amount"]) == Decimal("1550000")
    assert Decimal(final["to_repay"]) == Decimal("150000")
    assert Decimal(final["repaid_amount"]) == Decimal("150000")

    history = api.history("auditor", case["id"])
    assert [e["kind"] for e in history] == ["created"] + ["transition"] * len(steps)
    assert [e["transition"] for e in history[1:]] == [name for _, name, _ in steps]
    assert [e["to_state"] for e in history[1:]] == visited
    assert [e["from_state"] for e in history[1:]] == ["interest_registered", *visited[:-1]]
    assert [e["case_version"] for e in history] == list(range(1, len(steps) + 2))
    assert history[3]["actor_name"] == "caseworker user" and history[4]["role"] == "approver"
    assert history[-1]["changes"] == {"repaid_amount": "150000.00"}


def test_star_case_is_paid_in_arrears_from_application_to_closed(api: Api) -> None:
    case = api.create_case("aarhus", "star-flere-skal-med-2017", "Opkvalificering i jobcentret")
    assert case["state"] == "application_draft"
    assert case["currency"] == "DKK"

    steps = [
        (
            "aarhus",
            "apply_implementation",
            {
                "requested_amount": "180000",
                "target_group_size": 1200,
                "budget": [
                    {"line": "Kurser", "category": "activities", "amount": "150000"},
                    {"line": "Lokaler", "category": "premises_and_catering", "amount": "30000"},
                ],
            },
        ),
        (
            "caseworker",
            "propose_implementation_grant",
            {"amount": "150000", "period_start": "2017-11-01", "period_end": "2018-12-31"},
        ),
        ("approver", "grant_implementation", {}),
        ("caseworker", "end_period", {}),
        (
            "aarhus",
            "submit_final_report",
            {
                "certification": "management",
                "cost_lines": [
                    {"line": "Kurser", "category": "activities", "amount": "120000"},
                    {"line": "Lokaler", "category": "premises_and_catering", "amount": "21000"},
                    {"line": "Kurser", "category": "overhead", "amount": "8200"},
                ],
            },
        ),
        ("caseworker", "accept_final_report", {}),
    ]
    visited = walk(api, case["id"], steps)
    assert visited[-1] == "settlement"
    settled = api.get("caseworker", f"/cases/{case['id']}").json()
    # Nothing was paid up front: the payout is min(granted, eligible) − paid = 141 000.
    assert Decimal(settled["disbursed_amount"]) == 0
    assert Decimal(settled["balance_due"]) == Decimal("141000")
    assert Decimal(settled["to_repay"]) == 0

    closed = api.move("caseworker", case["id"], "settle")
    assert closed["state"] == "closed"
    assert Decimal(closed["disbursed_amount"]) == Decimal("141000")
    assert Decimal(closed["balance_due"]) == 0

    history = api.history("auditor", case["id"])
    assert [e["to_state"] for e in history] == ["application_draft", *visited, "closed"]
    assert history[-1]["changes"] == {"disbursed_amount": "141000.00", "balance_due": "0.00"}


def test_open_transitions_are_those_of_the_state_and_the_callers_role(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    as_caseworker = api.get("caseworker", f"/cases/{case['id']}/transitions").json()
    as_applicant = api.get("knivsta", f"/cases/{case['id']}/transitions").json()
    assert {t["name"] for t in as_caseworker} == {"invite", "decline_interest"}
    assert {t["name"] for t in as_applicant} == {"withdraw"}
    decline = next(t for t in as_caseworker if t["name"] == "decline_interest")
    assert decline["inputs"] == [
        {"name": "reason", "type": "text", "required": True, "label": "Reason"}
    ]
    in_swedish = api.get(
        "caseworker", f"/cases/{case['id']}/transitions", params={"lang": "sv"}
    ).json()
    assert {t["label"] for t in in_swedish} == {"Bjud in att ansöka", "Avslå intresseanmälan"}


def test_case_list_filters_by_programme_state_and_organisation_and_pages(api: Api) -> None:
    for i in range(3):
        api.create_case("knivsta", "delmos-2018", f"Delmos {i}")
    for i in range(2):
        api.create_case("aarhus", "star-flere-skal-med-2017", f"STAR {i}")
    first = api.get("caseworker", "/cases", params={"programme": "delmos-2018", "limit": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2
    second = api.get("caseworker", first["next"]).json()  # the link keeps the filters
    assert len(second["items"]) == 1 and second["next"] is None
    assert {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])
    drafts = api.get("caseworker", "/cases", params={"state": "application_draft"}).json()
    assert drafts["total"] == 2
    aarhus = api.people.org_ids["aarhus"]
    assert api.get("caseworker", "/cases", params={"organisation_id": aarhus}).json()["total"] == 2
    assert api.get("knivsta", "/cases").json()["total"] == 3  # its own only


def test_a_joint_application_has_exactly_one_lead(api: Api) -> None:
    heby, tierp = api.people.org_ids["heby"], api.people.org_ids["tierp"]
    case = api.create_case("knivsta", "dua-2021", "Kluster", partner_ids=[heby, tierp, heby])
    assert case["invited_partners"] == sorted([heby, tierp])
    api.confirm_partner("heby", case["id"], heby)
    case = api.confirm_partner("caseworker", case["id"], tierp)
    leads = [p for p in case["parties"] if p["is_lead"]]
    assert leads == [{"organisation_id": api.people.org_ids["knivsta"], "is_lead": True}]
    assert sorted(p["organisation_id"] for p in case["parties"]) == sorted(
        [api.people.org_ids["knivsta"], heby, tierp]
    )
    # A partner sees the joint case but only the lead acts on it.
    assert api.get("heby", f"/cases/{case['id']}").status_code == 200
    refused = api.fire("heby", case["id"], "apply_implementation", requested_amount="100")
    assert refused.status_code == 403
    assert api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "application_draft"
