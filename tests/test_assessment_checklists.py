"""Assessment checklists a programme file declares (workflow/checklists.py), answered by a
caseworker with a note, each answer audited, and the decisions they gate refused until they are
met: Finsam Falun's local agreement must describe at least three local tracks (seeds/003)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import Settings
from tests.support import Api, add_user_with_token, chain_of
from workflow.actors import Role
from workflow.catalogue import load_catalogue
from workflow.programmes import ProgrammeError

ROOT = Path(__file__).resolve().parent.parent
FINSAM = "finsam-falun-2018"
FINSAM_FILE = ROOT / "config" / "programmes" / f"{FINSAM}.toml"
DECISION = {"amount": "400000", "period_start": "2018-01-01", "period_end": "2018-12-31"}
YES_NO = [
    "local_agreement",
    "employer_needs_mapped",
    "target_group_mapped",
    "cooperation_described",
    "young_newcomers_support",
]


def answer(
    api: Api, who: str, case_id: int, key: str, value: Any, note: str = ""
) -> httpx.Response:
    return api.client.put(
        f"/cases/{case_id}/checklist/{key}",
        headers=api.headers(who),
        json={"answer": value, "note": note},
    )


def applied_finsam_case(api: Api) -> int:
    case = api.create_case("knivsta", FINSAM, "DUA-insats i Falun")
    api.move("knivsta", case["id"], "apply_implementation", requested_amount="400000")
    return int(case["id"])


def answered_but_the_tracks(api: Api, case_id: int) -> None:
    for key in YES_NO:
        assert answer(api, "caseworker", case_id, key, True, "see the agreement").status_code == 200


def test_a_finsam_case_cannot_be_decided_until_its_checklist_records_three_local_tracks(
    api: Api,
) -> None:
    case_id = applied_finsam_case(api)
    answered_but_the_tracks(api, case_id)
    two = answer(api, "caseworker", case_id, "local_tracks", ["Vård", "Industri"], "two so far")
    assert two.status_code == 200 and two.json()["met"] is False

    refused = api.fire("caseworker", case_id, "propose_implementation_grant", **DECISION)
    assert refused.status_code == 409
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["guard"] == "checklist_complete"
    assert "local_tracks: 2 recorded (Vård, Industri); at least 3 are required" in problem["detail"]
    assert [u["key"] for u in problem["unmet"]] == ["local_tracks"]
    assert (
        problem["unmet"][0]["source"] == "Hur ser de lokala ”spåren” (minst tre ska beskrivas) ut?"
    )
    assert problem["unmet"][0]["rule"] == f"{FINSAM}#checklist.local_tracks"

    three = answer(api, "caseworker", case_id, "local_tracks", ["Vård", "Industri", "Akademiker"])
    assert three.json()["met"] is True
    proposed = api.move("caseworker", case_id, "propose_implementation_grant", **DECISION)
    assert proposed["state"] == "implementation_proposed"


def test_a_decision_waits_for_every_criterion_and_names_each_one_unmet(api: Api) -> None:
    case_id = applied_finsam_case(api)
    answer(api, "caseworker", case_id, "local_agreement", False, "not signed yet")
    refused = api.fire("caseworker", case_id, "propose_implementation_grant", **DECISION).json()
    unmet = {u["key"]: u["reason"] for u in refused["unmet"]}
    assert set(unmet) == {*YES_NO, "local_tracks"}
    assert unmet["local_agreement"] == "answered no; yes is required"
    assert unmet["local_tracks"] == "not answered"


def test_a_track_named_twice_counts_once(api: Api) -> None:
    case_id = applied_finsam_case(api)
    given = answer(api, "caseworker", case_id, "local_tracks", ["Vård", " vård ", "Industri", ""])
    assert given.json()["answer"] == ["Vård", "Industri"]
    assert given.json()["met"] is False


def test_a_confirmation_is_refused_when_an_answer_falls_short_after_the_proposal(
    api: Api,
) -> None:
    case_id = applied_finsam_case(api)
    answered_but_the_tracks(api, case_id)
    answer(api, "caseworker", case_id, "local_tracks", ["Vård", "Industri", "Akademiker"])
    api.move("caseworker", case_id, "propose_implementation_grant", **DECISION)
    answer(api, "caseworker", case_id, "local_tracks", ["Vård", "Industri"], "one track dropped")
    refused = api.fire("approver", case_id, "grant_implementation")
    assert refused.status_code == 409
    assert [u["key"] for u in refused.json()["unmet"]] == ["local_tracks"]


def test_every_answer_is_an_audit_event_with_its_note_and_the_chain_verifies(api: Api, app) -> None:
    case_id = applied_finsam_case(api)
    answer(api, "caseworker", case_id, "local_tracks", ["Vård"], "first reading")
    answer(api, "caseworker", case_id, "local_tracks", ["Vård", "Industri", "Bygg"], "all three")
    events = [
        e for e in api.history("caseworker", case_id) if e["transition"] == "checklist_answered"
    ]
    assert [e["kind"] for e in events] == ["fact", "fact"]
    assert [e["inputs"]["answer"] for e in events] == [["Vård"], ["Vård", "Industri", "Bygg"]]
    assert [e["inputs"]["note"] for e in events] == ["first reading", "all three"]
    assert [e["details"]["met"] for e in events] == [False, True]
    assert events[-1]["details"]["criterion"] == "local_tracks"
    assert events[-1]["actor_id"] == api.people.user_ids["caseworker"]
    read = api.get("caseworker", f"/cases/{case_id}/checklist").json()
    tracks = next(c for c in read if c["key"] == "local_tracks")
    assert tracks["event_seq"] == events[-1]["seq"]
    assert tracks["note"] == "all three"
    assert tracks["answered_by_name"] == "caseworker user"
    assert chain_of(app).ok


def test_the_checklist_reads_each_criterion_with_its_label_source_answer_and_whether_it_is_met(
    api: Api,
) -> None:
    case_id = applied_finsam_case(api)
    answer(api, "caseworker", case_id, "local_agreement", "ja", "signed 2018-02-01")
    read = api.get("knivsta", f"/cases/{case_id}/checklist", params={"lang": "sv"})
    assert read.status_code == 200
    criteria = read.json()
    assert [c["key"] for c in criteria] == [*YES_NO[:4], "local_tracks", YES_NO[4]]
    agreement = criteria[0]
    assert agreement["label"] == "Lokal överenskommelse mellan kommunen och Arbetsförmedlingen"
    assert agreement["labels"]["da"].startswith("En lokal aftale")
    assert agreement["answer"] is True and agreement["met"] is True
    assert agreement["source"].startswith(
        "En överenskommelse mellan kommunen och Arbetsförmedlingen"
    )
    assert agreement["answered_at"] is not None
    tracks = criteria[4]
    assert (tracks["answer_type"], tracks["min_items"], tracks["met"]) == ("names", 3, False)
    assert tracks["required_for"] == ["propose_implementation_grant", "grant_implementation"]


@pytest.mark.parametrize("who", ["knivsta", "approver", "auditor"])
def test_only_a_caseworker_or_an_administrator_answers_the_checklist(api: Api, who: str) -> None:
    case_id = applied_finsam_case(api)
    refused = answer(api, who, case_id, "local_tracks", ["A", "B", "C"])
    assert refused.status_code == 403
    assert api.get("caseworker", f"/cases/{case_id}/checklist").json()[4]["answer"] is None
    assert answer(api, "admin", case_id, "local_tracks", ["A", "B", "C"]).status_code == 200


def test_an_answer_of_the_wrong_kind_or_to_no_criterion_is_refused_and_changes_nothing(
    api: Api,
) -> None:
    case_id = applied_finsam_case(api)
    wrong = answer(api, "caseworker", case_id, "local_agreement", "perhaps")
    assert wrong.status_code == 422
    assert "local_agreement: answer yes or no" in wrong.json()["detail"]
    unknown = answer(api, "caseworker", case_id, "local_trakcs", ["A"])
    assert unknown.status_code == 404
    assert "local_tracks" in unknown.json()["detail"]
    history = api.history("caseworker", case_id)
    assert not [e for e in history if e["transition"] == "checklist_answered"]


def test_a_programme_without_a_checklist_decides_as_before(api: Api) -> None:
    case = api.create_case("knivsta", "sf-uppsala-nya-vagar")
    api.move("knivsta", case["id"], "apply_implementation", requested_amount="500000")
    assert api.get("caseworker", f"/cases/{case['id']}/checklist").json() == []
    api.move("caseworker", case["id"], "propose_implementation_grant", **DECISION)


@pytest.mark.parametrize(
    ("transition", "problem"),
    [
        (
            "decide",
            "checklist.local_tracks.required_for: 'decide' is not a transition of the lifecycle",
        ),
        ("invite", "checklist.local_tracks.required_for: 'invite' does not check the checklist"),
    ],
)
def test_a_programme_file_naming_a_transition_its_checklist_cannot_gate_is_refused_with_its_key(
    transition: str, problem: str
) -> None:
    catalogue = load_catalogue(Settings().programmes_dir)
    text = FINSAM_FILE.read_text()
    broken = text.replace(
        'min_items = 3\nrequired_for = ["propose_implementation_grant", "grant_implementation"]',
        f'min_items = 3\nrequired_for = ["propose_implementation_grant", "{transition}"]',
    )
    assert broken != text
    with pytest.raises(ProgrammeError) as refused:
        catalogue.parse(FINSAM_FILE, broken.encode())
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_a_minimum_that_does_not_fit_the_answer_is_refused_with_its_key() -> None:
    catalogue = load_catalogue(Settings().programmes_dir)
    broken = FINSAM_FILE.read_text().replace("min_items = 3", "min = 3")
    with pytest.raises(ProgrammeError) as refused:
        catalogue.parse(FINSAM_FILE, broken.encode())
    assert any(
        re.match(r"checklist\.4: .*`min` does not apply to an answer of kind names", p)
        for p in refused.value.problems
    ), refused.value.problems


def test_the_case_page_shows_the_checklist_and_a_caseworker_answers_it_in_a_form(
    api: Api,
) -> None:
    from tests.route_walk import signed_in

    case_id = applied_finsam_case(api)
    session, csrf = signed_in(api, "caseworker")
    api.client.cookies.set("gf_session", session)
    page = api.client.get(f"/ui/cases/{case_id}", params={"lang": "sv"})
    assert page.status_code == 200
    html = page.text
    assert 'id="checklist"' in html and "Lokala spår som överenskommelsen beskriver" in html
    assert '<label for="checklist-local_tracks">' in html
    assert "<legend>Lokal överenskommelse mellan kommunen och Arbetsförmedlingen</legend>" in html

    posted = api.client.post(
        f"/ui/cases/{case_id}/checklist/local_tracks",
        data={
            "csrf": csrf,
            "answer": "Vård\nIndustri\nAkademiker",
            "note": "från överenskommelsen",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303
    read = api.get("caseworker", f"/cases/{case_id}/checklist").json()
    assert read[4]["answer"] == ["Vård", "Industri", "Akademiker"] and read[4]["met"] is True

    wrong = api.client.post(
        f"/ui/cases/{case_id}/checklist/local_agreement",
        data={"csrf": csrf, "answer": "kanske", "note": ""},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert 'aria-describedby="checklist-local_agreement-error"' in wrong.text
    assert 'id="checklist-local_agreement-error"' in wrong.text
    api.client.cookies.clear()

    session, _ = signed_in(api, "knivsta")
    api.client.cookies.set("gf_session", session)
    applicant = api.client.get(f"/ui/cases/{case_id}").text
    assert 'id="checklist"' in applicant
    assert f'action="/ui/cases/{case_id}/checklist/' not in applicant
    api.client.cookies.clear()


def test_an_erased_caseworkers_checklist_note_reads_as_erased_and_the_answer_stays(
    api: Api, app, clock
) -> None:
    name, note = "Ingrid Raderasdotter", "Ringde kommunen 070-123 45 67"
    add_user_with_token(app, clock, api, name, Role.caseworker)
    case_id = applied_finsam_case(api)
    answer(api, name, case_id, "local_tracks", ["Vård", "Industri", "Bygg"], note)
    user_id = api.people.user_ids[name]
    assert api.post("admin", f"/admin/users/{user_id}/disable").status_code == 204
    erased = api.post("admin", f"/users/{user_id}/erasure", json={"reason": "art. 17"})
    assert erased.status_code == 201, erased.text

    tracks = api.get("caseworker", f"/cases/{case_id}/checklist").json()[4]
    assert (tracks["note"], tracks["met"]) == ("[erased]", True)
    assert name not in (tracks["answered_by_name"] or "")
    (event,) = [
        e for e in api.history("auditor", case_id) if e["transition"] == "checklist_answered"
    ]
    assert event["inputs"]["note"] == "[erased]"
    assert event["inputs"]["answer"] == ["Vård", "Industri", "Bygg"]
    assert chain_of(app).ok
