"""A programme is wound down: retired, it takes no new cases; its file removed, its running cases
go on to closed under the version of its rules kept in the database, and nothing else breaks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from config.settings import Settings
from services.api.app import create_app
from services.deadlines.keeper import DeadlineKeeper
from tests.support import Api, add_people
from tests.test_lifecycle_over_http import DECISION
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
STO = ZoneInfo("Europe/Stockholm")
TO_GRANTED = [
    ("caseworker", "invite", {"note": "I linje med syftet"}),
    ("knivsta", "apply_mapping", {"requested_amount": "400000"}),
    ("caseworker", "propose_mapping_grant", {"amount": "350000", **DECISION}),
    ("approver", "grant_mapping", {}),
    ("knivsta", "submit_plan", {"summary": "Behovsanalys och plan"}),
    ("knivsta", "apply_implementation", {"requested_amount": "1500000"}),
    ("caseworker", "propose_implementation_grant", {"amount": "1200000", **DECISION}),
    ("approver", "grant_implementation", {}),
]
TO_CLOSED = [
    ("knivsta", "submit_final_report", {"reported_costs": "1500000"}),
    ("caseworker", "accept_final_report", {"eligible_spent": "1400000"}),
    ("caseworker", "claim_repayment", {}),
    ("caseworker", "register_payment", {"amount": "150000"}),
]


def walk(api: Api, case_id: int, steps: list[tuple[str, str, dict]]) -> str:
    state = ""
    for who, name, inputs in steps:
        state = api.move(who, case_id, name, **inputs)["state"]
    return state


def test_a_retired_programme_whose_file_is_removed_still_takes_its_cases_to_closed(
    settings: Settings, clock: SettableClock, tmp_path: Path
) -> None:
    folder = tmp_path / "programmes"
    shutil.copytree(ROOT / "config" / "programmes", folder)
    settings = settings.model_copy(update={"programmes_dir": folder})
    with TestClient(create_app(settings, clock)) as client:
        people = add_people(client.app.state.services.units, clock)  # type: ignore[attr-defined]
        api = Api(client, people)
        case = api.create_case("knivsta", "delmos-2018", "Delmos, avvecklas")["id"]
        assert walk(api, case, TO_GRANTED) == "implementation_granted"
        retired = api.post(
            "admin", "/programmes/delmos-2018/retire", json={"reason": "Delmos avvecklas"}
        )
        assert retired.status_code == 200, retired.text
        refused = api.post(
            "knivsta", "/cases", json={"programme": "delmos-2018", "title": "För sent"}
        )
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("/programme-retired")

    (folder / "delmos-2018.toml").unlink()
    with TestClient(create_app(settings, clock)) as client:
        api = Api(client, people)
        listed = {p["code"]: p for p in api.get("caseworker", "/programmes").json()}
        assert listed["delmos-2018"]["retired_at"] is not None
        assert "kept in the database" in listed["delmos-2018"]["file"]
        for path in (f"/ui/cases/{case}", f"/ui/cases/{case}/history", "/ui/inbox"):
            assert api.get("caseworker", path).status_code == 200, path
        # The grant period ends: the keeper moves the case on by the kept rules.
        clock.set(dt.datetime(2019, 7, 1, 9, 0, tzinfo=STO))
        DeadlineKeeper(client.app.state.services, worker="test").sweep()  # type: ignore[attr-defined]
        assert api.get("caseworker", f"/cases/{case}").json()["state"] == "reporting"
        assert walk(api, case, TO_CLOSED) == "closed"
        assert api.get("caseworker", "/incidents").json()["items"] == []
        assert api.get("auditor", "/audit/verify").json()["ok"] is True


def test_a_file_that_breaks_leaves_its_programme_on_the_version_it_had(
    settings: Settings, clock: SettableClock, tmp_path: Path
) -> None:
    folder = tmp_path / "programmes"
    shutil.copytree(ROOT / "config" / "programmes", folder)
    settings = settings.model_copy(update={"programmes_dir": folder})
    with TestClient(create_app(settings, clock)) as client:
        people = add_people(client.app.state.services.units, clock)  # type: ignore[attr-defined]
        case = Api(client, people).create_case("knivsta", "delmos-2018", "Pågår")["id"]

    (folder / "delmos-2018.toml").write_text("[programme\n", encoding="utf-8")
    with TestClient(create_app(settings, clock)) as client:
        api = Api(client, people)
        assert walk(api, case, TO_GRANTED[:1]) == "invited"
        incidents = api.get("caseworker", "/incidents").json()["items"]
        assert [i["subject"] for i in incidents] == ["delmos-2018.toml"]
        kept = api.get("auditor", "/programmes/delmos-2018/versions").json()
        assert [(v["version"], v["in_use"]) for v in kept] == [(1, True)]
