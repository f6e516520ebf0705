"""Partners in a joint application: named by the lead, listed and counted once they confirm."""

from __future__ import annotations

import datetime as dt

from tests.support import Api
from tests.test_programmes import DUA, STO, agreement
from workflow.clock import SettableClock


def named_cluster(api: Api) -> tuple[int, int, int]:
    """A Dua cluster knivsta applies for, naming heby and tierp as partners."""
    ids = api.people.org_ids
    heby, tierp = ids["heby"], ids["tierp"]
    terms = agreement(api, [ids["knivsta"], heby, tierp])
    case = api.create_case("knivsta", DUA, "Kluster", partner_ids=[heby, tierp], agreement_id=terms)
    return case["id"], heby, tierp


def test_partners_an_applicant_names_are_invited_not_listed(api: Api) -> None:
    case_id, heby, tierp = named_cluster(api)
    case = api.get("caseworker", f"/cases/{case_id}").json()
    assert case["parties"] == [{"organisation_id": api.people.org_ids["knivsta"], "is_lead": True}]
    assert case["invited_partners"] == sorted([heby, tierp])
    # The invited partner sees what it is asked to join.
    assert api.get("heby", f"/cases/{case_id}").status_code == 200


def test_partners_a_caseworker_names_are_listed_at_once(api: Api) -> None:
    ids = api.people.org_ids
    case = api.create_case(
        "caseworker", "delmos-2018", "Samordnat", organisation_id=ids["knivsta"],
        partner_ids=[ids["heby"]],
    )  # fmt: skip
    assert [p["organisation_id"] for p in case["parties"]] == [ids["knivsta"], ids["heby"]]
    assert case["invited_partners"] == []


def test_a_cluster_is_not_eligible_until_its_partners_confirm(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2021, 3, 1, 9, 0, tzinfo=STO))
    case_id, heby, tierp = named_cluster(api)
    refused = api.fire("knivsta", case_id, "apply_implementation", requested_amount="100000")
    assert refused.status_code == 409
    assert refused.json()["rule"] == "dua-2021#eligibility.cluster.min_municipalities"

    api.confirm_partner("heby", case_id, heby)
    api.confirm_partner("caseworker", case_id, tierp)  # a consent given on paper
    applied = api.move("knivsta", case_id, "apply_implementation", requested_amount="100000")
    assert applied["state"] == "implementation_applied"
    assert applied["invited_partners"] == []


def test_only_the_partner_itself_or_staff_confirm_its_part(api: Api) -> None:
    case_id, heby, tierp = named_cluster(api)
    lead_for_partner = api.post("knivsta", f"/cases/{case_id}/partners/{heby}/confirm")
    assert lead_for_partner.status_code == 403
    assert lead_for_partner.headers["content-type"] == "application/problem+json"
    stranger = api.post("aarhus", f"/cases/{case_id}/partners/{heby}/confirm")
    assert stranger.status_code == 404
    heby_for_tierp = api.post("heby", f"/cases/{case_id}/partners/{tierp}/confirm")
    assert heby_for_tierp.status_code == 403
    assert api.get("caseworker", f"/cases/{case_id}").json()["invited_partners"] == [heby, tierp]


def test_a_partner_confirms_once_and_the_lead_is_no_partner(api: Api) -> None:
    case_id, heby, _ = named_cluster(api)
    api.confirm_partner("heby", case_id, heby)
    again = api.post("heby", f"/cases/{case_id}/partners/{heby}/confirm")
    assert again.status_code == 409
    lead = api.people.org_ids["knivsta"]
    not_partner = api.post("caseworker", f"/cases/{case_id}/partners/{lead}/confirm")
    assert not_partner.status_code == 404
    unnamed = api.people.org_ids["aarhus"]
    assert api.post("caseworker", f"/cases/{case_id}/partners/{unnamed}/confirm").status_code == 404


def test_a_confirmation_is_on_the_record_and_the_case_replays_to_before_it(
    api: Api, clock: SettableClock
) -> None:
    case_id, heby, tierp = named_cluster(api)
    before = clock.advance(dt.timedelta(days=1))
    clock.advance(dt.timedelta(days=1))
    confirmed = api.confirm_partner("heby", case_id, heby)

    event = api.history("auditor", case_id)[-1]
    assert (event["kind"], event["transition"]) == ("amended", "partner_confirmed")
    assert event["details"] == {"organisation_id": heby}
    assert event["case_version"] == confirmed["version"] == 2

    then = api.get("auditor", f"/cases/{case_id}", params={"as_of": before.isoformat()}).json()
    assert then["invited_partners"] == [heby, tierp]
    now = api.get("auditor", f"/cases/{case_id}", params={"as_of": clock.now().isoformat()})
    assert {**now.json(), "as_of": None} == {**confirmed, "as_of": None}
    assert confirmed["invited_partners"] == [tierp]
