"""How many statements reading one case over HTTP sends to the database, token check included:
two (the token's holder, then the case with its parties), whoever reads it and however many
parties it has, on SQLite and on PostgreSQL (a refusal is recorded, so it sends more)."""

from __future__ import annotations

from bench.statements import statements_sent
from tests.support import Api
from tests.test_partners import named_cluster

READ_BUDGET = 2


def read_within_budget(app, api: Api, who: str, case_id: int) -> dict:  # type: ignore[no-untyped-def]
    with statements_sent(app.state.services.units.db.engine) as sent:
        response = api.get(who, f"/cases/{case_id}")
    assert len(sent) <= READ_BUDGET, f"{who}: {len(sent)} statements:\n" + "\n".join(sent)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    body: dict = response.json()
    return body


def test_reading_a_case_takes_two_statements_for_staff_and_for_each_party(app, api: Api) -> None:
    case_id, heby, tierp = named_cluster(api)
    api.confirm_partner("heby", case_id, heby)
    seen = [read_within_budget(app, api, who, case_id) for who in ("caseworker", "knivsta", "heby")]
    assert seen[0] == seen[1] == seen[2]
    knivsta = api.people.org_ids["knivsta"]
    assert seen[0]["parties"] == [
        {"organisation_id": knivsta, "is_lead": True},
        {"organisation_id": heby, "is_lead": False},
    ]
    assert seen[0]["invited_partners"] == [tierp]


def test_a_case_read_refuses_as_before(api: Api) -> None:
    """An applicant no party to the case is told it does not exist, as if it did not."""
    case_id, *_ = named_cluster(api)
    stranger = api.get("aarhus", f"/cases/{case_id}")
    nothing = api.get("caseworker", f"/cases/{case_id + 1000}")
    for response in (stranger, nothing):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert stranger.json()["type"] == nothing.json()["type"]
    assert "ETag" not in stranger.headers
