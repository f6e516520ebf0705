"""A deadline extended for a whole round or one case: the deadlines and their reminders move, the
rules see the new time, the audit says who and why, and lapsed cases are listed, not revived."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.deadlines.keeper import DeadlineKeeper
from tests.support import Api, seed_granted_cases
from workflow.clock import SettableClock

CPH = ZoneInfo("Europe/Copenhagen")
STAR = "star-flere-skal-med-2017"
SEVENTH_OF_NOVEMBER = "2017-11-07T12:00:00+01:00"
REASON = "Ansøgningsportalen var nede den 30. oktober"


@pytest.fixture
def keeper(app) -> DeadlineKeeper:
    return DeadlineKeeper(app.state.services, worker="test-scheduler")


def extend(api: Api, who: str = "caseworker", programme: str = STAR, **body: object):
    body = {"kind": "application_deadline", "call": "2017", "reason": REASON, **body}
    body.setdefault("to", SEVENTH_OF_NOVEMBER)
    return api.post(who, f"/programmes/{programme}/extensions", json=body)


def states(api: Api, ids: list[int]) -> list[str]:
    return [api.get("caseworker", f"/cases/{i}").json()["state"] for i in ids]


def test_star_deadline_extended_to_7_november_drafts_lapse_on_the_7th_not_on_31_october(
    api: Api, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    drafts = [api.create_case("aarhus", STAR, f"Aarhus {i}")["id"] for i in range(3)]
    extended = extend(api)
    assert extended.status_code == 201, extended.text
    answer = extended.json()
    assert answer["was"] == "2017-10-31T11:00:00Z" and answer["to"] == "2017-11-07T11:00:00Z"
    assert sorted(m["case_id"] for m in answer["moved"] if m["kind"] == "application_deadline") == (
        drafts
    )
    assert [m["kind"] for m in answer["moved"] if m["case_id"] is None] == ["call_closes"]

    clock.set(dt.datetime(2017, 10, 31, 12, 0, tzinfo=CPH))
    keeper.sweep()
    assert states(api, drafts) == ["application_draft"] * 3

    clock.set(dt.datetime(2017, 11, 3, 10, 0, tzinfo=CPH))
    applied = api.move("aarhus", drafts[0], "apply_implementation", requested_amount="120000")
    assert applied["state"] == "implementation_applied"
    opened = api.create_case("odense", STAR, "Odense, after the old deadline")
    assert opened["state"] == "application_draft"

    clock.set(dt.datetime(2017, 11, 7, 12, 0, tzinfo=CPH))
    keeper.sweep()
    assert states(api, [*drafts, opened["id"]]) == [
        "implementation_applied",
        "lapsed",
        "lapsed",
        "lapsed",
    ]
    late = api.fire("aarhus", drafts[1], "apply_implementation", requested_amount="1")
    assert late.status_code == 409

    events = api.get("auditor", "/audit/events", params={"transition": "deadline_extended"}).json()[
        "items"
    ]
    round_event = next(e for e in events if e["case_id"] is None)
    assert round_event["actor_name"] == "caseworker user" and round_event["reason"] == REASON
    assert round_event["details"]["to"] == "2017-11-07T11:00:00.000000Z"
    history = [e["transition"] for e in api.history("auditor", drafts[1])]
    assert "deadline_extended" in history


def test_an_extension_after_the_deadline_lists_the_lapsed_cases_and_revives_none(
    api: Api, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    drafts = [api.create_case("aarhus", STAR, f"Aarhus {i}")["id"] for i in range(2)]
    clock.set(dt.datetime(2017, 10, 31, 12, 0, tzinfo=CPH))
    keeper.sweep()
    assert states(api, drafts) == ["lapsed", "lapsed"]

    clock.set(dt.datetime(2017, 10, 31, 15, 0, tzinfo=CPH))
    answer = extend(api).json()
    assert answer["lapsed_before"] == drafts
    assert states(api, drafts) == ["lapsed", "lapsed"]


def test_one_cases_final_report_deadline_moves_with_its_reminder_and_no_other(
    api: Api, app, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    period_end = dt.datetime(2017, 10, 2, 22, 0, tzinfo=dt.UTC)  # the end of 2 October, Stockholm
    ours, other = seed_granted_cases(app.state.services.units, 2, "delmos-2018", period_end)
    clock.set(period_end + dt.timedelta(minutes=1))
    keeper.sweep()

    def due(case_id: int) -> dict[str, str]:
        found = api.get("caseworker", f"/cases/{case_id}/deadlines").json()
        return {d["kind"]: d["due_at"] for d in found if d["status"] == "pending"}

    before_other = due(other)
    assert set(due(ours)) >= {"final_report", "report_reminder"}
    answer = extend(
        api, programme="delmos-2018", kind="final_report", call=None, case_id=ours,
        to="2018-01-31T23:59:00+01:00",
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert sorted(m["kind"] for m in answer.json()["moved"]) == [
        "final_report",
        "report_last_reminder",
        "report_reminder",
    ]
    after = due(ours)
    assert after["final_report"] == "2018-01-31T22:59:00Z"
    assert after["report_reminder"] == "2018-01-17T22:59:00Z"  # two weeks before, as the rule says
    # Three days before is Sunday the 28th: a reminder moves to the working day before it.
    assert after["report_last_reminder"] == "2018-01-26T22:59:00Z"
    assert due(other) == before_other


@pytest.mark.parametrize(
    ("who", "change", "status"),
    [
        ("caseworker", {"to": "2017-10-01T12:00:00+02:00"}, 422),  # in the past
        ("caseworker", {"to": "2017-10-30T12:00:00+01:00"}, 422),  # earlier than it was
        ("caseworker", {"to": "2017-11-07T12:00:00"}, 422),  # no offset
        ("caseworker", {"kind": "no_such_deadline"}, 422),
        ("caseworker", {"call": "2099"}, 422),
        ("caseworker", {"reason": ""}, 422),
        ("caseworker", {"case_id": 999999, "call": None}, 404),
        ("aarhus", {}, 403),
        ("auditor", {}, 403),
    ],
)
def test_a_wrong_extension_is_refused_and_moves_nothing(
    api: Api, who: str, change: dict, status: int
) -> None:
    draft = api.create_case("aarhus", STAR, "Aarhus")["id"]
    before = api.get("caseworker", f"/cases/{draft}/deadlines").json()
    refused = extend(api, who, **change)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert api.get("caseworker", f"/cases/{draft}/deadlines").json() == before
