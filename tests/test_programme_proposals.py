"""Four eyes on a programme's rules through the API: one administrator proposes a new version and
sees its plan; another approves and it is applied as planned; nobody approves their own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.support import Api, add_user_with_token, seed_granted_cases
from workflow.actors import Role
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
DELMOS = (ROOT / "config" / "programmes" / "delmos-2018.toml").read_text(encoding="utf-8")
LATER_REPORTS = DELMOS.replace("months = 2", "months = 3", 1)
PERIOD_END = dt.datetime(2017, 10, 2, 22, 0, tzinfo=dt.UTC)


def propose(api: Api, who: str = "admin", content: str = LATER_REPORTS):
    body = {"content": content, "reason": "Tre månader för slutrapporten"}
    return api.post(who, "/programmes/delmos-2018/proposals", json=body)


def test_one_administrator_proposes_another_approves_and_it_is_applied_as_planned(
    api: Api, app, clock: SettableClock
) -> None:
    second = add_user_with_token(app, clock, api, "second admin", Role.admin)
    seed_granted_cases(app.state.services.units, 3, "delmos-2018", PERIOD_END)
    clock.set(PERIOD_END + dt.timedelta(minutes=1))
    from services.deadlines.keeper import DeadlineKeeper

    DeadlineKeeper(app.state.services, worker="test").sweep()

    proposed = propose(api)
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert proposal["status"] == "proposed" and proposal["still_holds"] is True
    assert proposal["plan"]["rules"] == [
        {"key": "deadlines.final_report.months", "was": 2, "now": 3}
    ]
    assert len(proposal["plan"]["moves"]) == 9  # three reports and their two reminders each
    url = f"/programmes/delmos-2018/proposals/{proposal['id']}"

    own = api.post("admin", f"{url}/approve")
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert api.post("caseworker", f"{url}/approve").status_code == 403

    approved = api.post(second, f"{url}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "applied"
    assert approved.json()["decided_by"] == "second admin"
    versions = api.get("auditor", "/programmes/delmos-2018/versions").json()
    assert [(v["version"], v["registered_by"]) for v in versions] == [
        (1, "grantflow at start-up"),
        (2, "second admin"),
    ]
    assert api.post(second, f"{url}/approve").status_code == 409  # applied once


def test_a_proposal_whose_plan_no_longer_holds_is_not_applied(
    api: Api, app, clock: SettableClock
) -> None:
    second = add_user_with_token(app, clock, api, "second admin", Role.admin)
    first = propose(api).json()
    other = propose(api, content=DELMOS.replace("months = 2", "months = 4", 1)).json()
    assert api.post(second, f"/programmes/delmos-2018/proposals/{other['id']}/approve").is_success
    url = f"/programmes/delmos-2018/proposals/{first['id']}"
    assert api.get("admin", url).json()["still_holds"] is False
    stale = api.post(second, f"{url}/approve")
    assert stale.status_code == 409 and "the plan changed" in stale.json()["detail"]
    versions = api.get("auditor", "/programmes/delmos-2018/versions").json()
    assert len(versions) == 2


def test_a_broken_or_foreign_file_is_refused_as_a_proposal(api: Api) -> None:
    broken = propose(api, content=DELMOS.replace("months = 2", "months = -1", 1))
    assert broken.status_code == 422 and "deadlines.final_report.months" in broken.text
    foreign = propose(api, content=DELMOS.replace('code = "delmos-2018"', 'code = "other"', 1))
    assert foreign.status_code == 422
    unchanged = propose(api, content=DELMOS)
    assert unchanged.status_code == 422 and "nothing changes" in unchanged.text
