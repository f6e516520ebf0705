"""Deadlines move cases on their own, at the right minute, exactly once, and say why."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from services.deadlines.keeper import DeadlineKeeper
from services.storage.claims import _CLAIM
from services.storage.keeping import Deadline
from tests.support import Api, seed_granted_cases, tables
from workflow.clock import SettableClock
from workflow.deadlines import WorkingCalendar, add_months, end_of_day, local_instant

CPH = ZoneInfo("Europe/Copenhagen")
STO = ZoneInfo("Europe/Stockholm")
STAR = "star-flere-skal-med-2017"


@pytest.fixture
def keeper(app) -> DeadlineKeeper:
    return DeadlineKeeper(app.state.services, worker="test-scheduler")


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def deadlines_of(api: Api, case_id: int) -> dict[str, dict]:
    return {d["kind"]: d for d in api.get("caseworker", f"/cases/{case_id}/deadlines").json()}


def test_star_application_at_115959_copenhagen_is_taken_at_1200_refused_and_the_sweep_lapses_the_rest(
    api: Api, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    clock.set(dt.datetime(2017, 10, 31, 11, 59, 59, tzinfo=CPH))
    on_time = api.create_case("aarhus", STAR, "Aarhus")
    late = api.create_case("odense", STAR, "Odense")
    drafts = [
        api.create_case(
            "caseworker", STAR, f"Draft {i}", organisation_id=api.people.org_ids["aarhus"]
        )
        for i in range(3)
    ]
    assert (
        api.move("aarhus", on_time["id"], "apply_implementation", requested_amount="120000")[
            "state"
        ]
        == "implementation_applied"
    )

    clock.set(dt.datetime(2017, 10, 31, 12, 0, 0, tzinfo=CPH))
    refused = api.fire("odense", late["id"], "apply_implementation", requested_amount="90000")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["guard"] == "before_application_deadline"
    assert "31-10-2017 12:00" in problem["detail"]
    assert problem["deadline"] == "2017-10-31T12:00:00+01:00"
    assert problem["deadline_utc"] == "2017-10-31T11:00:00Z"
    assert problem["rule"] == f"{STAR}#calls.2017.application_deadline"
    assert problem["now"] == "2017-10-31T11:00:00Z"
    assert api.get("caseworker", f"/cases/{late['id']}").json()["state"] == "application_draft"
    new_draft = api.post("aarhus", "/cases", json={"programme": STAR, "title": "Too late"})
    assert new_draft.status_code == 409 and new_draft.json()["type"] == "/problems/call-closed"

    result = keeper.sweep()
    assert result.fired == 4  # the late one and the three drafts
    for case in [late, *drafts]:
        assert api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "lapsed"
        lapse = api.history("auditor", case["id"])[-1]
        assert (lapse["transition"], lapse["actor_name"], lapse["role"]) == (
            "lapse",
            "system",
            "system",
        )
        deadline = lapse["details"]["deadline"]
        assert deadline["rule"] == {
            "programme": STAR,
            "file": f"config/programmes/{STAR}.toml",
            "key": "deadlines.application_deadline",
        }
        assert deadline["due_at"] == "2017-10-31T11:00:00.000000Z"
        assert deadline["ran_at"] == "2017-10-31T11:00:00.000000Z"
        assert deadline["clock"] == "settable" and deadline["worker"] == "test-scheduler"
    assert (
        api.get("caseworker", f"/cases/{on_time['id']}").json()["state"] == "implementation_applied"
    )
    assert deadlines_of(api, on_time["id"])["application_deadline"]["status"] == "cancelled"
    # The call's own deadline flagged the round closed for caseworkers.
    closed = [
        n
        for n in api.get("caseworker", "/notifications").json()["items"]
        if n["kind"] == "call_closes"
    ]
    assert len(closed) == 1 and closed[0]["case_id"] is None
    assert keeper.sweep().handled == 0, "a second sweep fires nothing again"


def test_a_1200_deadline_after_daylight_saving_ends_fires_at_1100_utc_not_1000(
    api: Api, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    # Daylight saving ended on Sunday 29 October 2017; the deadline is Tuesday the 31st.
    assert local_instant(dt.datetime(2017, 10, 27, 12, 0), CPH) == dt.datetime(
        2017, 10, 27, 10, 0, tzinfo=dt.UTC
    )
    assert local_instant(dt.datetime(2017, 10, 31, 12, 0), CPH) == dt.datetime(
        2017, 10, 31, 11, 0, tzinfo=dt.UTC
    )
    clock.set(dt.datetime(2017, 10, 20, 9, 0, tzinfo=CPH))
    case = api.create_case("aarhus", STAR)
    assert deadlines_of(api, case["id"])["application_deadline"]["due_at"] == "2017-10-31T11:00:00Z"

    clock.set(dt.datetime(2017, 10, 31, 10, 59, 59, tzinfo=dt.UTC))
    assert keeper.sweep().fired == 0
    assert api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "application_draft"
    clock.set(dt.datetime(2017, 10, 31, 11, 0, 0, tzinfo=dt.UTC))
    assert keeper.sweep().fired == 1
    assert api.get("caseworker", f"/cases/{case['id']}").json()["state"] == "lapsed"


def test_a_working_day_deadline_that_would_fall_on_a_swedish_holiday_moves_to_the_next_working_day() -> (
    None
):
    sweden = WorkingCalendar("SE", ["public", "de_facto"])
    thursday = dt.date(2021, 6, 24)
    # One working day after Thursday 24 June 2021 would be Friday the 25th: Midsummer Eve.
    assert sweden.add_working_days(thursday, 1) == dt.date(2021, 6, 28)
    # Ten working days from Monday 20 December 2021 skip Christmas Eve and New Year's Eve (Fridays
    # the 24th and 31st) and the weekends: 21, 22, 23, 27, 28, 29, 30 December, 3, 4, 5 January.
    assert sweden.add_working_days(dt.date(2021, 12, 20), 10) == dt.date(2022, 1, 5)
    assert sweden.next_working_day(dt.date(2021, 12, 24)) == dt.date(2021, 12, 27)
    denmark = WorkingCalendar("DK")
    assert denmark.next_working_day(dt.date(2017, 5, 12)) == dt.date(2017, 5, 15)  # Store bededag
    assert add_months(dt.date(2021, 10, 31), 2) == dt.date(2021, 12, 31)
    assert add_months(dt.date(2020, 12, 31), 2) == dt.date(2021, 2, 28)


def test_a_final_report_due_on_christmas_day_is_due_at_the_end_of_the_next_working_day(
    api: Api, clock: SettableClock
) -> None:
    # Samordningsförbundet: final report two months after the period. A period ending 25 October 2021 puts it on
    # Saturday 25 December; the 26th is a Sunday, so it is due on Monday the 27th.
    case = api.create_case("knivsta", "sf-uppsala-nya-vagar")
    api.move("knivsta", case["id"], "apply_implementation", requested_amount="500000")
    api.move(
        "caseworker",
        case["id"],
        "propose_implementation_grant",
        amount="500000",
        period_start="2021-01-01",
        period_end="2021-10-25",
    )
    api.move("approver", case["id"], "grant_implementation")
    assert deadlines_of(api, case["id"])["period_end"]["due_at"] == end_of_day(
        dt.date(2021, 10, 25), STO
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    api.move("caseworker", case["id"], "end_period")
    due = deadlines_of(api, case["id"])
    assert due["final_report"]["due_at"] == "2021-12-27T23:00:00Z"
    assert due["final_report"]["due_local"] == "2021-12-28 00:00 CET"
    assert due["report_reminder"]["due_at"] == "2021-12-13T23:00:00Z"
    # Ended by hand before its time, the period's own deadline no longer applies.
    assert due["period_end"]["status"] == "cancelled"
    assert "end_period moved the case to reporting" in due["period_end"]["outcome"]


def test_deadlines_that_fell_due_while_the_service_was_down_fire_at_start_oldest_first_saying_how_late(
    api: Api, app, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    granted = []
    for period_end in ("2021-06-30", "2021-03-31", "2021-09-30"):
        case = api.create_case("knivsta", "sf-uppsala-nya-vagar", f"Ends {period_end}")
        api.move("knivsta", case["id"], "apply_implementation", requested_amount="100000")
        api.move(
            "caseworker",
            case["id"],
            "propose_implementation_grant",
            amount="100000",
            period_start="2021-01-01",
            period_end=period_end,
        )
        api.move("approver", case["id"], "grant_implementation")
        granted.append(case["id"])

    clock.set(dt.datetime(2021, 10, 15, 9, 0, tzinfo=dt.UTC))  # back up after months away
    keeper.sweep()
    ended = sorted(
        (
            e
            for cid in granted
            for e in api.history("auditor", cid)
            if e["transition"] == "end_period"
        ),
        key=lambda e: e["seq"],
    )
    assert [e["case_id"] for e in ended] == [granted[1], granted[0], granted[2]], "oldest first"
    late = [e["details"]["deadline"]["late_by_ms"] for e in ended]
    assert late == sorted(late, reverse=True) and late[-1] > 14 * 24 * 3600 * 1000
    # What was due after that fell due too, in order: the March and June cases' final reports
    # (two months after their periods) are overdue as well; the September one's is not yet.
    states = [api.get("caseworker", f"/cases/{cid}").json()["state"] for cid in granted]
    assert states == ["report_overdue", "report_overdue", "reporting"]


def test_a_deadline_whose_transition_the_case_no_longer_allows_is_cancelled_with_a_reason(
    api: Api, app, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    case = api.create_case("knivsta", "sf-uppsala-nya-vagar")
    # A deadline that somehow outlived its state (written behind the service's back).
    with app.state.services.units.writing() as uow:
        uow.deadlines.save(
            Deadline(
                case_id=case["id"],
                programme_id=app.state.services.programmes.id_of("sf-uppsala-nya-vagar"),
                kind="final_report",
                fires="mark_report_overdue",
                due_at=clock.now() - dt.timedelta(hours=1),
                time_zone="Europe/Stockholm",
                rule="dua-2021#deadlines.final_report",
                created_at=clock.now(),
            )
        )
        uow.commit()
    result = keeper.sweep()
    assert (result.fired, result.cancelled) == (0, 1)
    deadline = deadlines_of(api, case["id"])["final_report"]
    assert deadline["status"] == "cancelled"
    assert deadline["outcome"] == "no longer applies: the case is in state application_draft"
    event = api.history("auditor", case["id"])[-1]
    assert (event["transition"], event["reason"]) == ("deadline_cancelled", deadline["outcome"])
    assert keeper.sweep().handled == 0, "cancelled once, not retried forever"


def test_decision_expected_by_only_flags_an_undecided_case(
    api: Api, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    clock.set(dt.datetime(2017, 10, 30, 9, 0, tzinfo=CPH))
    waiting = api.create_case("aarhus", STAR, "Still waiting")
    decided = api.create_case("odense", STAR, "Decided in time")
    for who, case in (("aarhus", waiting), ("odense", decided)):
        api.move(who, case["id"], "apply_implementation", requested_amount="50000")
    api.move("caseworker", decided["id"], "reject", reason="Uden for puljens formål")

    clock.set(dt.datetime(2017, 12, 1, 0, 0, tzinfo=CPH))  # "tilsagn i november 2017" has passed
    result = keeper.sweep()
    assert result.flagged >= 2  # the call closing, and the waiting case
    assert (
        api.get("caseworker", f"/cases/{waiting['id']}").json()["state"] == "implementation_applied"
    )
    flags = api.get("caseworker", "/notifications", params={"case_id": waiting["id"]}).json()[
        "items"
    ]
    assert [n["kind"] for n in flags] == ["decision_expected"]
    assert flags[0]["subject"].startswith("Tilsagn forventes senest: STAR-17-")
    assert (
        api.get("caseworker", "/notifications", params={"case_id": decided["id"]}).json()["items"]
        == []
    )
    assert deadlines_of(api, decided["id"])["decision_expected"]["status"] == "cancelled"


def test_deadlines_can_be_listed_by_kind_status_and_due_time(
    api: Api, clock: SettableClock
) -> None:
    clock.set(dt.datetime(2017, 10, 2, 9, 0, tzinfo=CPH))
    for who in ("aarhus", "odense"):
        api.create_case(who, STAR)
    pending = api.get(
        "caseworker", "/deadlines", params={"kind": "application_deadline", "status": "pending"}
    ).json()
    assert pending["total"] == 2
    assert (
        api.get("caseworker", "/deadlines", params={"due_before": "2017-10-31T11:00:00Z"}).json()[
            "total"
        ]
        == 0
    )
    assert (
        api.get("caseworker", "/deadlines", params={"due_after": "2017-10-31T11:00:00Z"}).json()[
            "total"
        ]
        == 3
    )
    assert api.get("aarhus", "/deadlines").json()["total"] == 1  # its own case's only


def test_health_goes_stale_when_no_scheduler_sweeps_and_recovers_after_a_sweep(
    api: Api, app, clock: SettableClock, keeper: DeadlineKeeper
) -> None:
    before = api.client.get("/health").json()
    assert before["status"] == "stale" and before["scheduler"]["last_sweep_completed_at"] is None
    keeper.sweep()
    assert api.client.get("/health").json()["status"] == "ok"
    seed_granted_cases(
        app.state.services.units, 1, "sf-uppsala-nya-vagar", clock.now() - dt.timedelta(hours=2)
    )
    clock.advance(dt.timedelta(minutes=10))
    stale = api.client.get("/health").json()
    assert stale["status"] == "stale"
    assert stale["scheduler"]["stale"] is True and stale["deadlines"]["stale"] is True
    assert stale["deadlines"]["overdue_seconds"] >= 2 * 3600
    keeper.sweep()
    assert api.client.get("/health").json()["status"] == "ok"


def test_the_sweep_finds_due_deadlines_by_the_status_and_due_time_index(app) -> None:
    db = app.state.services.units.db
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM deadline WHERE status = 'pending' AND due_at <= '2030-01-01' ORDER BY due_at, id LIMIT 1"
                )
            ).all()
            assert "ix_deadline_status_due_at" in " ".join(str(row) for row in plan)
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = conn.execute(
                text(
                    "EXPLAIN SELECT id FROM deadline WHERE status = 'pending' AND due_at <= now() ORDER BY due_at, id LIMIT 1"
                )
            ).all()
            assert "ix_deadline_status_due_at" in " ".join(str(row) for row in plan)
    with tables(app) as session:
        assert session.exec(select(Deadline)).all() is not None


def test_a_batch_is_claimed_by_its_deadlines_ids_not_by_reading_every_pending_one(app) -> None:
    """The claim as the keeper sends it, with a batch's worth of ids: were the status compared
    as a plain column, SQLite would search the status index, reading every pending deadline."""
    db = app.state.services.units.db
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's planner looks a short list of ids up by the primary key")
    sent: list[tuple[str, object]] = []
    with db.engine.connect() as conn, conn.begin():
        event.listen(conn, "before_cursor_execute", lambda *a: sent.append((a[2], a[3])))
        params = {"ids": list(range(1, 26)), "now": dt.datetime.now(dt.UTC), "worker": "w"}
        conn.execute(_CLAIM, params)
        statement, values = sent[-1]
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", values).all()  # type: ignore[arg-type]
        conn.rollback()
    assert "INTEGER PRIMARY KEY" in str(plan), plan


def test_each_deadline_of_a_batch_is_marked_fired_at_the_time_its_own_step_ran(
    api: Api, app, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch is claimed at once, but each deadline says it fired when its step ran, as its
    event does: a view of the case as of a moment between the two must not show it fired."""
    cases = seed_granted_cases(
        app.state.services.units, 3, "dua-2021", clock.now() - dt.timedelta(hours=1)
    )
    keeper = DeadlineKeeper(app.state.services, worker="test-keeper")
    fire = keeper._fire

    def a_second_a_step(uow, deadline, now, case):  # type: ignore[no-untyped-def]
        try:
            return fire(uow, deadline, now, case)
        finally:
            clock.advance(dt.timedelta(seconds=1))

    monkeypatch.setattr(keeper, "_fire", a_second_a_step)
    assert keeper.sweep().fired == 3
    fired_at = set()
    for case_id in cases:
        deadline = deadlines_of(api, case_id)["period_end"]
        event = next(e for e in api.history("auditor", case_id) if e["transition"] == "end_period")
        ran_at = event["details"]["deadline"]["ran_at"]
        assert when(deadline["fired_at"]) == when(ran_at), (deadline["fired_at"], ran_at)
        fired_at.add(when(ran_at))
    assert len(fired_at) == 3, "one step a second, each at its own time"
