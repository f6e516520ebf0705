"""Retries and races: one transition per intent, whatever the network or other clients do."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from services.storage.models import Case
from tests.support import Api, People, add_people


def applied(api: Api) -> dict:
    case = api.create_case("aarhus", "star-flere-skal-med-2017")
    return api.move("aarhus", case["id"], "apply_implementation", requested_amount="200000")


def test_the_same_request_twice_with_one_idempotency_key_returns_the_same_answer_and_one_event(
    api: Api,
) -> None:
    case = applied(api)
    key = {"Idempotency-Key": "reject-1"}
    first = api.fire("caseworker", case["id"], "reject", headers=key, reason="Utanför syftet")
    second = api.fire("caseworker", case["id"], "reject", headers=key, reason="Utanför syftet")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    rejections = [
        e for e in api.history("auditor", case["id"], refusals=True) if e["transition"] == "reject"
    ]
    assert len(rejections) == 1


def test_the_same_key_with_a_different_body_is_refused_and_changes_nothing(api: Api) -> None:
    case = applied(api)
    key = {"Idempotency-Key": "propose-1"}
    decision = {"amount": "100000", "period_start": "2021-01-01", "period_end": "2021-12-31"}
    assert (
        api.fire(
            "caseworker", case["id"], "propose_implementation_grant", headers=key, **decision
        ).status_code
        == 200
    )
    events_before = api.history("auditor", case["id"], refusals=True)
    case_before = api.get("caseworker", f"/cases/{case['id']}").json()

    changed = api.fire(
        "caseworker",
        case["id"],
        "propose_implementation_grant",
        headers=key,
        **{**decision, "amount": "1"},
    )
    assert changed.status_code == 422
    assert changed.json()["type"] == "/problems/idempotency-key-reused"
    assert api.history("auditor", case["id"], refusals=True) == events_before
    assert api.get("caseworker", f"/cases/{case['id']}").json() == case_before


def test_keys_belong_to_one_user(api: Api) -> None:
    """Two people picking the same key do not see each other's answers."""
    a, b = applied(api), applied(api)
    key = {"Idempotency-Key": "same-key"}
    assert api.fire("caseworker", a["id"], "reject", headers=key, reason="x").status_code == 200
    assert api.fire("caseworker2", b["id"], "reject", headers=key, reason="x").status_code == 200
    assert api.get("caseworker", f"/cases/{b['id']}").json()["state"] == "rejected"


def test_creating_a_case_with_an_idempotency_key_creates_it_once(api: Api) -> None:
    body = {"programme": "delmos-2018", "title": "Intresseanmälan"}
    first = api.post("knivsta", "/cases", json=body, headers={"Idempotency-Key": "k1"})
    again = api.post("knivsta", "/cases", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201 and again.json() == first.json()
    assert api.get("knivsta", "/cases").json()["total"] == 1


@pytest.fixture
def live(live_server: str, app) -> tuple[str, People]:
    return live_server, add_people(app.state.services.units, app.state.services.clock)


def race(
    base: str, people: People, case_id: int, name: str, headers: list[dict[str, str]], body: dict
) -> list[httpx.Response]:
    """Send one request per header set at the same instant, each from its own client."""
    barrier = threading.Barrier(len(headers))
    responses: list[httpx.Response] = [None] * len(headers)  # type: ignore[list-item]

    def send(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            responses[i] = client.post(
                f"/cases/{case_id}/transitions/{name}",
                json=body,
                headers={"Authorization": f"Bearer {people.tokens['caseworker']}", **headers[i]},
            )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(headers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


@pytest.mark.parametrize("rounds", [5])
def test_two_clients_racing_at_one_version_one_wins_and_the_other_gets_412(
    live, rounds: int
) -> None:
    base, people = live
    with httpx.Client(base_url=base) as client:
        api = Api(client, people)
        for _ in range(rounds):
            case = applied(api)
            version = {"If-Match": f'"{case["version"]}"'}
            responses = race(
                base, people, case["id"], "reject", [version, version], {"reason": "race"}
            )
            assert sorted(r.status_code for r in responses) == [200, 412]
            assert [e["transition"] for e in api.history("auditor", case["id"])].count(
                "reject"
            ) == 1


@pytest.mark.parametrize("rounds", [5])
def test_two_clients_racing_without_if_match_one_wins_and_the_other_gets_409(
    live, rounds: int
) -> None:
    base, people = live
    with httpx.Client(base_url=base) as client:
        api = Api(client, people)
        for _ in range(rounds):
            case = applied(api)
            responses = race(base, people, case["id"], "reject", [{}, {}], {"reason": "race"})
            assert sorted(r.status_code for r in responses) == [200, 409]
            assert [e["transition"] for e in api.history("auditor", case["id"])].count(
                "reject"
            ) == 1
            assert api.get("auditor", "/audit/verify").json()["ok"] is True


def test_two_retries_racing_with_one_key_give_one_event_and_the_same_answer(live) -> None:
    base, people = live
    with httpx.Client(base_url=base) as client:
        api = Api(client, people)
        case = applied(api)
        key = {"Idempotency-Key": "retry-storm"}
        responses = race(base, people, case["id"], "reject", [key] * 4, {"reason": "race"})
        assert [r.status_code for r in responses] == [200] * 4
        assert len({r.text for r in responses}) == 1
        assert [e["transition"] for e in api.history("auditor", case["id"])].count("reject") == 1


def test_a_case_row_changed_since_it_was_read_is_not_overwritten(api: Api, app) -> None:
    """The case's UPDATE names the version it was read at: a row that moved on meanwhile (here
    behind the repository's back) matches nothing, and the write fails instead of losing it."""
    case_id = applied(api)["id"]
    with app.state.services.units.writing() as uow:
        case = uow.cases.get(case_id, lock=True)
        assert case is not None
        table = Case.__table__  # type: ignore[attr-defined]
        uow.session.connection().execute(
            update(table).where(table.c.id == case_id).values(version=case.version + 1)
        )
        with pytest.raises(StaleDataError, match="no longer at version"):
            uow.cases.apply(case, {"state": "rejected", "version": case.version + 1})
    assert api.get("caseworker", f"/cases/{case_id}").json()["state"] == "implementation_applied"
