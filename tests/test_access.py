"""Who may see and do what: applicants see their own, auditors change nothing, decisions need two people."""

from __future__ import annotations

from tests.support import Api

DECISION = {"amount": "100000", "period_start": "2021-01-01", "period_end": "2021-12-31"}


def applied_case(api: Api) -> dict:
    case = api.create_case("aarhus", "star-flere-skal-med-2017")
    return api.move("aarhus", case["id"], "apply_implementation", requested_amount="200000")


def test_an_applicant_reading_another_organisations_case_gets_404(api: Api) -> None:
    case = api.create_case("aarhus", "star-flere-skal-med-2017")
    for path in (
        f"/cases/{case['id']}",
        f"/cases/{case['id']}/history",
        f"/cases/{case['id']}/transitions",
    ):
        response = api.get("odense", path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert (
        api.get("odense", f"/cases/{case['id']}", params={"as_of": "2030-01-01"}).status_code == 404
    )
    assert api.fire("odense", case["id"], "withdraw").status_code == 404
    assert api.get("odense", "/cases").json()["total"] == 0


def test_an_auditor_firing_a_transition_gets_403_and_the_refusal_is_in_the_audit_log(
    api: Api,
) -> None:
    case = applied_case(api)
    response = api.fire("auditor", case["id"], "reject", reason="audit")
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "/problems/role-not-allowed"
    assert problem["state"] == "implementation_applied"

    after = api.get("caseworker", f"/cases/{case['id']}").json()
    assert (after["state"], after["version"]) == (case["state"], case["version"])
    refusals = [
        e for e in api.history("auditor", case["id"], refusals=True) if e["kind"] == "refusal"
    ]
    assert len(refusals) == 1
    assert refusals[0]["role"] == "auditor" and refusals[0]["transition"] == "reject"
    assert refusals[0]["from_state"] == "implementation_applied" and refusals[0]["to_state"] is None
    assert refusals[0]["details"] == {"problem": "role-not-allowed", "status": 403}
    # The default history shows what happened to the case, not the attempts.
    assert all(e["kind"] != "refusal" for e in api.history("auditor", case["id"]))


def test_a_transition_in_the_wrong_state_is_refused_with_409_and_recorded(api: Api) -> None:
    case = applied_case(api)
    response = api.fire("caseworker", case["id"], "end_period")
    assert response.status_code == 409
    assert response.json()["open_transitions"] == ["propose_implementation_grant", "reject"]
    refusals = [
        e for e in api.history("auditor", case["id"], refusals=True) if e["kind"] == "refusal"
    ]
    assert [r["details"]["problem"] for r in refusals] == ["transition-not-allowed-in-state"]


def test_a_caseworker_cannot_approve_its_own_proposed_decision(api: Api) -> None:
    case = applied_case(api)
    api.move("caseworker", case["id"], "propose_implementation_grant", **DECISION)
    own = api.fire("caseworker", case["id"], "grant_implementation")
    assert own.status_code == 403
    assert own.json()["type"] == "/problems/role-not-allowed"


def test_an_approver_who_proposed_a_decision_cannot_also_confirm_it(api: Api) -> None:
    case = applied_case(api)
    api.move("approver", case["id"], "propose_implementation_grant", **DECISION)
    own = api.fire("approver", case["id"], "grant_implementation")
    assert own.status_code == 403
    assert own.json()["guard"] == "four_eyes"
    assert (
        api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "implementation_proposed"
    )
    confirmed = api.move("approver2", case["id"], "grant_implementation")
    assert confirmed["state"] == "implementation_granted"


def test_a_returned_proposal_goes_back_to_the_caseworker_and_a_new_one_can_be_made(
    api: Api,
) -> None:
    case = applied_case(api)
    api.move("caseworker", case["id"], "propose_implementation_grant", **DECISION)
    back = api.move("approver", case["id"], "return_proposal", reason="Beloppet är för högt")
    assert back["state"] == "implementation_applied"
    api.move(
        "caseworker", case["id"], "propose_implementation_grant", **{**DECISION, "amount": "80000"}
    )
    granted = api.move("approver", case["id"], "grant_implementation")
    assert granted["granted_amount"] == "80000.00"


def test_requests_without_a_valid_token_are_refused_with_401(api: Api) -> None:
    assert api.client.get("/cases").status_code == 401
    bad = api.client.get("/cases", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["type"] == "/problems/unauthenticated"


def test_an_applicant_cannot_open_a_case_for_another_organisation(api: Api) -> None:
    other = api.people.org_ids["odense"]
    response = api.post(
        "aarhus",
        "/cases",
        json={"programme": "star-flere-skal-med-2017", "title": "x", "organisation_id": other},
    )
    assert response.status_code == 403
    assert api.get("caseworker", "/cases").json()["total"] == 0


def test_a_partner_reads_a_joint_case_but_only_the_lead_adds_files(api: Api) -> None:
    heby = api.people.org_ids["heby"]
    case = api.create_case("knivsta", "sf-uppsala-nya-vagar", "Joint", partner_ids=[heby])
    assert api.get("heby", f"/cases/{case['id']}").status_code == 200
    files = {"file": ("plan.pdf", b"%PDF-1.4 plan")}
    refused = api.post("heby", f"/cases/{case['id']}/attachments", files=files)
    assert refused.status_code == 403
    assert api.get("heby", f"/cases/{case['id']}/attachments").json() == []
    assert api.post("knivsta", f"/cases/{case['id']}/attachments", files=files).status_code == 201


def test_an_applicant_reads_only_the_agreements_its_organisation_signed(api: Api) -> None:
    ids = api.people.org_ids
    mine = api.post(
        "caseworker",
        "/agreements",
        json={
            "title": "Knivsta och Heby",
            "party_ids": [ids["knivsta"], ids["heby"]],
            "valid_from": "2020-01-01",
        },
    ).json()
    other = api.post(
        "caseworker",
        "/agreements",
        json={"title": "Tierp ensam", "party_ids": [ids["tierp"]], "valid_from": "2020-01-01"},
    ).json()
    assert [a["id"] for a in api.get("knivsta", "/agreements").json()] == [mine["id"]]
    assert api.get("knivsta", f"/agreements/{other['id']}").status_code == 404
    assert api.get("knivsta", f"/agreements/{mine['id']}").status_code == 200
    assert len(api.get("caseworker", "/agreements").json()) == 2
