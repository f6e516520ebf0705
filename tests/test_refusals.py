"""Refused attempts leave a trace an auditor can find: who was turned away, from what and why;
and a flood of them cannot fill the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from services.api.app import create_app
from tests.support import Api, add_people


def refusals(api: Api) -> list[dict]:
    return api.get("auditor", "/audit/events", params={"kind": "refusal"}).json()["items"]


def test_401_403_foreign_404_412_and_422_are_on_the_record(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    path = f"/cases/{case['id']}"
    assert api.get("aarhus", path).status_code == 404
    assert api.client.get(path).status_code == 401
    assert api.fire("approver", case["id"], "invite").status_code == 403
    assert (
        api.fire("caseworker", case["id"], "invite", headers={"If-Match": '"9"'}).status_code == 412
    )
    assert api.post("caseworker", "/organisations", json={"name": ""}).status_code == 422
    assert (
        api.post(
            "approver", "/organisations", json={"name": "X", "kind": "region", "country": "SE"}
        ).status_code
        == 403
    )

    found = {(e["actor_name"], e["details"].get("status"), e["transition"]) for e in refusals(api)}
    assert ("aarhus user", 404, "GET /cases/{case_id}") in found
    assert ("anonymous", 401, "GET /cases/{case_id}") in found
    assert ("caseworker user", 412, "POST /cases/{case_id}/transitions/{name}") in found
    assert ("caseworker user", 422, "POST /organisations") in found
    assert ("approver user", 403, "POST /organisations") in found
    roles = {e["role"] for e in refusals(api)}
    assert "anonymous" in roles
    in_case = api.history("auditor", case["id"], refusals=True)
    assert {e["actor_name"] for e in in_case if e["kind"] == "refusal"} >= {
        "aarhus user",
        "anonymous",
    }
    assert api.get("auditor", "/audit/verify").json()["ok"] is True


def test_a_flood_of_refusals_is_counted_not_recorded_one_by_one(settings, clock) -> None:
    app = create_app(settings.model_copy(update={"refusals_recorded_per_hour": 2}), clock)
    with TestClient(app) as client:
        api = Api(client, add_people(app.state.services.units, clock))
        for _ in range(5):
            assert api.get("aarhus", "/cases/999").status_code == 404
        assert len(refusals(api)) == 2
        clock.advance(dt.timedelta(hours=1))
        assert api.get("aarhus", "/cases/999").status_code == 404
        recorded = refusals(api)
        assert len(recorded) == 3
        assert recorded[-1]["details"]["not_recorded_before"] == 3
