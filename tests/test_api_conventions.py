"""The API's conventions, one way everywhere: lists are pages with a `next` link, a time needs its
offset, and a state or status that does not exist is an error rather than an empty answer."""

from __future__ import annotations

import pytest

from tests.support import Api


@pytest.mark.parametrize("path", ["/cases", "/deadlines", "/notifications", "/audit/events"])
def test_every_list_is_a_page_with_a_next_link(api: Api, path: str) -> None:
    page = api.get("auditor", path, params={"limit": 1}).json()
    assert set(page) == {"items", "next", "total"}
    assert isinstance(page["items"], list)


def test_following_next_visits_every_case_once_in_order_with_the_filters_kept(api: Api) -> None:
    made = [api.create_case("knivsta", "delmos-2018", f"Delmos {i}")["id"] for i in range(5)]
    api.create_case("aarhus", "star-flere-skal-med-2017", "Not in the filter")
    seen, url = [], "/cases"
    params: dict[str, str | int] | None = {"programme": "delmos-2018", "limit": 2, "order": "asc"}
    while url:
        page = api.get("caseworker", url, params=params).json()
        assert page["total"] == 5
        seen += [c["id"] for c in page["items"]]
        url, params = page["next"], None
    assert seen == made


def test_a_list_counts_up_to_a_bound_and_beyond_it_gives_no_total(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.cases.reading.COUNTED_UP_TO", 3)
    for i in range(4):
        api.create_case("knivsta", "delmos-2018", f"Delmos {i}")
    params = {"programme": "delmos-2018", "limit": 2}
    assert api.get("caseworker", "/cases", params=params).json()["total"] is None
    params["q"] = "Delmos 1"
    assert api.get("caseworker", "/cases", params=params).json()["total"] == 1


def test_a_page_sorted_by_an_amount_that_some_cases_lack_still_visits_each_once(api: Api) -> None:
    ids = [api.create_case("knivsta", "delmos-2018", f"Delmos {i}")["id"] for i in range(3)]
    for case_id in ids[1:]:
        api.move("caseworker", case_id, "invite")
        api.move("knivsta", case_id, "apply_mapping", requested_amount="1000")
    seen, url = [], "/cases"
    params: dict[str, str | int] | None = {"sort": "requested_amount", "limit": 1}
    while url:
        page = api.get("caseworker", url, params=params).json()
        seen += [c["id"] for c in page["items"]]
        url, params = page["next"], None
    assert sorted(seen) == ids and seen[-1] == ids[0], "no amount sorts below every amount"


def test_a_cursor_this_list_never_gave_out_is_a_clear_422(api: Api) -> None:
    response = api.get("caseworker", "/cases", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/deadlines", "due_before"),
        ("/deadlines", "due_after"),
        ("/audit/events", "since"),
        ("/audit/events", "until"),
    ],
)
def test_a_time_without_an_offset_is_refused_not_guessed(api: Api, path: str, field: str) -> None:
    naive = api.get("auditor", path, params={field: "2017-10-31T11:00:00"})
    assert naive.status_code == 422 and field in naive.text
    aware = api.get("auditor", path, params={field: "2017-10-31T11:00:00+01:00"})
    assert aware.status_code == 200


def test_as_of_takes_a_date_or_a_time_with_an_offset_but_not_a_bare_time(api: Api) -> None:
    case = api.create_case("knivsta", "delmos-2018")
    assert api.get("auditor", f"/cases/{case['id']}", params={"as_of": "2030-01-01"}).is_success
    aware = api.get("auditor", f"/cases/{case['id']}", params={"as_of": "2030-01-01T12:00:00Z"})
    assert aware.is_success
    naive = api.get("auditor", f"/cases/{case['id']}", params={"as_of": "2030-01-01T12:00:00"})
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]


def test_a_misspelt_state_is_named_with_the_one_that_was_meant(api: Api) -> None:
    response = api.get("caseworker", "/cases", params={"state": "implementaton_applied"})
    assert response.status_code == 422
    assert "did you mean 'implementation_applied'" in response.json()["detail"]
    assert api.get("caseworker", "/deadlines", params={"status": "fird"}).status_code == 422


def test_cases_are_found_by_words_in_their_title_in_any_case_or_by_their_reference(
    api: Api,
) -> None:
    segregation = api.create_case("knivsta", "delmos-2018", "Kartläggning av boendesegregation")
    api.create_case("heby", "delmos-2018", "Trygghet i Heby")

    def found(q: str, who: str = "caseworker") -> list[int]:
        answer = api.get(who, "/cases", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert found("BOENDESEGREGATION") == [segregation["id"]]
    assert found(segregation["reference"]) == [segregation["id"]]
    assert found("100%_") == []  # LIKE's wildcards are taken as written
    # Search narrows what a person may see; it never widens it.
    assert found("Trygghet", who="knivsta") == []
