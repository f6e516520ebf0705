"""One failure stays one failure: a deadline that cannot fire becomes an incident a person sees and
acts on, and every other deadline goes on; after a downtime everything due fires once, in order."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from services.auditing.signing import DailyHeadSigning, signing_key
from services.deadlines.keeper import DeadlineKeeper
from services.incidents import RetryPolicy
from services.storage.keeping import Deadline
from services.storage.models import AuditEvent, Case, Programme
from tests.support import Api, chain_of, seed_granted_cases, tables
from workflow.actors import SYSTEM
from workflow.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = 100


def gone_programme(app, clock: SettableClock) -> int:
    """A case of a programme whose file was removed, with a deadline due now."""
    with tables(app, write=True) as session:
        session.add(
            Programme(
                code="wound-down-2015",
                title="A programme wound down",
                currency="SEK",
                time_zone="Europe/Stockholm",
                config_sha256="0" * 64,
                loaded_at=clock.now(),
            )
        )
    return seed_granted_cases(app.state.services.units, 1, "wound-down-2015", clock.now())[0]


def end_period_events(app) -> Counter[int]:
    with tables(app) as session:
        query = select(AuditEvent.case_id).where(AuditEvent.transition == "end_period")
        return Counter(session.exec(query).all())


def test_two_failing_deadlines_become_incidents_while_a_hundred_others_fire(
    api: Api, app, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    units = app.state.services.units
    healthy = seed_granted_cases(units, HEALTHY, "dua-2021", clock.now() - dt.timedelta(hours=1))
    broken_rule = seed_granted_cases(units, 1, "sf-uppsala-nya-vagar", clock.now())[0]
    orphan = gone_programme(app, clock)
    effects = app.state.services.catalogue.engine._effects
    schedule = effects["schedule_final_report"]

    def raises_for_one_case(case, request, out):  # type: ignore[no-untyped-def]
        if case.id == broken_rule:
            raise RuntimeError("the report rule cannot be computed for this case")
        return schedule(case, request, out)

    monkeypatch.setitem(effects, "schedule_final_report", raises_for_one_case)
    keeper = DeadlineKeeper(app.state.services, worker="test-keeper")

    result = keeper.sweep()
    assert (result.fired, result.failed) == (HEALTHY, 2)
    assert set(end_period_events(app)) == set(healthy), "every healthy deadline fired"
    incidents = api.get("caseworker", "/incidents").json()
    assert incidents["total"] == 2
    by_case = {i["case_id"]: i for i in incidents["items"]}
    assert "cannot be computed" in by_case[broken_rule]["error"]
    assert "no loaded file" in by_case[orphan]["error"]
    health = api.client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "incidents"
    assert "grantflow_incidents_open 2.0" in api.client.get("/metrics").text
    assert keeper.sweep().handled == 0, "a failed deadline waits for its retry, not in a loop"

    monkeypatch.setitem(effects, "schedule_final_report", schedule)  # the cause is mended
    retried = api.post(
        "caseworker",
        f"/incidents/{by_case[broken_rule]['id']}/retry",
        json={"reason": "the report rule is mended"},
    )
    assert retried.status_code == 200, retried.text
    assert keeper.sweep().fired == 1
    assert keeper.sweep().handled == 0
    cancelled = api.post(
        "caseworker",
        f"/incidents/{by_case[orphan]['id']}/cancel",
        json={"reason": "Programmet avslutat 2016; ärendet avslutas manuellt"},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "resolved"

    assert end_period_events(app) == Counter([*healthy, broken_rule]), "each exactly once"
    assert api.get("caseworker", "/incidents").json()["total"] == 0
    assert api.client.get("/health").status_code == 200
    history = api.history("auditor", orphan)
    assert (history[-1]["transition"], history[-1]["reason"]) == (
        "deadline_cancelled",
        "Programmet avslutat 2016; ärendet avslutas manuellt",
    )
    assert history[-1]["actor_name"] == "caseworker user"
    assert api.get("auditor", "/audit/verify").json()["ok"] is True
    again = api.post(
        "caseworker", f"/incidents/{by_case[orphan]['id']}/retry", json={"reason": "once more"}
    )
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


def test_a_batch_that_all_fires_takes_no_savepoint_and_one_that_fails_keeps_one_copy_of_each_step(
    api: Api, app, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch runs its steps without savepoints; when one step fails, that attempt is rolled
    back whole and the batch runs again with a savepoint a step: each healthy deadline still
    fires once, with one event each, and the failing one alone becomes an incident."""
    units = app.state.services.units
    first = seed_granted_cases(units, 5, "dua-2021", clock.now() - dt.timedelta(hours=1))
    keeper = DeadlineKeeper(app.state.services, worker="test-keeper")
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append(statement.split(None, 1)[0].upper())

    event.listen(units.db.engine, "before_cursor_execute", note)
    try:
        assert keeper.sweep().fired == 5
        assert "SAVEPOINT" not in sent
        second = seed_granted_cases(units, 5, "dua-2021", clock.now() - dt.timedelta(hours=1))
        effects = app.state.services.catalogue.engine._effects
        schedule = effects["schedule_final_report"]

        def raises_for_one_case(case, request, out):  # type: ignore[no-untyped-def]
            if case.id == second[2]:
                raise RuntimeError("the report rule cannot be computed for this case")
            return schedule(case, request, out)

        monkeypatch.setitem(effects, "schedule_final_report", raises_for_one_case)
        sent.clear()
        result = keeper.sweep()
    finally:
        event.remove(units.db.engine, "before_cursor_execute", note)
    assert (result.fired, result.failed) == (4, 1)
    assert "SAVEPOINT" in sent
    fired = [*first, *(case for case in second if case != second[2])]
    assert end_period_events(app) == Counter(fired), "each exactly once"
    assert api.get("caseworker", "/incidents").json()["total"] == 1
    assert chain_of(app).ok


def test_a_sweep_stopped_in_the_middle_of_a_batch_leaves_the_rest_pending_to_fire_once_later(
    api: Api, app, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch claims its deadlines together; those it does not reach because the sweep was
    told to stop are given back in the same transaction, and the next sweep fires them."""
    cases = seed_granted_cases(
        app.state.services.units, 6, "dua-2021", clock.now() - dt.timedelta(hours=1)
    )
    keeper = DeadlineKeeper(app.state.services, worker="test-keeper")
    fire = keeper._fire
    reached: list[int] = []

    def stop_after_two(uow, deadline, now, case):  # type: ignore[no-untyped-def]
        reached.append(deadline.case_id)
        if len(reached) == 2:
            keeper.stopping.set()  # as a shutdown would, while this step runs
        return fire(uow, deadline, now, case)

    monkeypatch.setattr(keeper, "_fire", stop_after_two)
    assert keeper.sweep().fired == 2
    with tables(app) as session:
        left = session.exec(
            select(Deadline).where(col(Deadline.case_id).in_(cases), Deadline.kind == "period_end")
        ).all()
    pending = {d.case_id for d in left if d.status == "pending"}
    assert pending == set(cases) - set(reached)
    assert all(d.fired_at is None and d.fired_by is None for d in left if d.case_id in pending)

    keeper.stopping.clear()
    assert keeper.sweep().fired == 4
    assert end_period_events(app) == Counter(cases), "each exactly once"
    assert chain_of(app).ok


def test_a_deadline_that_keeps_failing_backs_off_then_waits_for_a_person(
    api: Api, app, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = seed_granted_cases(app.state.services.units, 1, "dua-2021", clock.now())[0]
    effects = app.state.services.catalogue.engine._effects

    def always(case, request, out):  # type: ignore[no-untyped-def]
        raise RuntimeError("still broken")

    monkeypatch.setitem(effects, "schedule_final_report", always)
    policy = RetryPolicy(max_attempts=3, first_wait=dt.timedelta(minutes=1))
    keeper = DeadlineKeeper(app.state.services, worker="test-keeper", retries=policy)
    waits = []
    for _ in range(3):
        assert keeper.sweep().failed == 1
        with tables(app) as session:
            deadline = session.exec(select(Deadline).where(Deadline.case_id == case_id)).one()
        waits.append(deadline.retry_at and (deadline.retry_at - clock.now()))
        clock.advance(dt.timedelta(hours=1))
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), None]
    assert deadline.status == "held" and deadline.attempts == 3
    clock.advance(dt.timedelta(days=30))
    assert keeper.sweep().failed == 0, "held: it waits for a person"
    [incident] = api.get("caseworker", "/incidents").json()["items"]
    assert incident["attempts"] == 3

    monkeypatch.setitem(effects, "schedule_final_report", effects["schedule_report_reminder"])
    later = clock.now() + dt.timedelta(days=2)
    moved = api.post(
        "admin",
        f"/incidents/{incident['id']}/move",
        json={"due_at": later.isoformat(), "reason": "after the rule is mended"},
    )
    assert moved.status_code == 200 and moved.json()["resolution"].startswith("moved to")
    assert api.post(
        "auditor", f"/incidents/{incident['id']}/retry", json={"reason": "x"}
    ).status_code in (403, 409)
    assert keeper.sweep().fired == 0, "not before its new time"
    clock.set(later)
    assert keeper.sweep().fired == 1
    assert end_period_events(app) == Counter([case_id])


def test_a_broken_programme_file_stops_only_its_own_programme(
    api: Api, app, clock: SettableClock, tmp_path: Path, settings
) -> None:
    programmes = tmp_path / "programmes"
    programmes.mkdir()
    for source in (ROOT / "config" / "programmes").glob("*.toml"):
        (programmes / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    dua = programmes / "dua-2021.toml"
    dua.write_text(
        dua.read_text(encoding="utf-8").replace(
            '[deadlines.final_report]\nafter = "period_end"\nmonths = 2',
            '[deadlines.final_report]\nbefore = "report_reminder"\ndays = 1',
        ),
        encoding="utf-8",
    )
    checked = subprocess.run(
        [sys.executable, "-m", "services.cli", "programs", "check", str(dua)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1
    assert "deadlines.final_report.before and deadlines.report_reminder.before" in checked.stderr

    from fastapi.testclient import TestClient

    from services.api.app import create_app

    broken = settings.model_copy(update={"programmes_dir": programmes})
    with TestClient(create_app(broken, clock)) as client:
        headers = {"Authorization": f"Bearer {api.people.tokens['caseworker']}"}
        incidents = client.get("/incidents", headers=headers).json()["items"]
        assert [(i["kind"], i["subject"]) for i in incidents] == [
            ("programme_file", "dua-2021.toml")
        ]
        assert "form a cycle" in incidents[0]["error"]
        assert client.get("/health").status_code == 503
        # The other programmes run: a Samordningsförbundet period ends on its day.
        case_id = seed_granted_cases(
            client.app.state.services.units,
            1,
            "sf-uppsala-nya-vagar",
            clock.now(),  # type: ignore[attr-defined]
        )[0]
        keeper = DeadlineKeeper(client.app.state.services, worker="test-keeper")  # type: ignore[attr-defined]
        assert keeper.sweep().fired == 1
        state = client.get(f"/cases/{case_id}", headers=headers).json()["state"]
        assert state == "reporting"
    with TestClient(app) as mended:  # the file is mended: the next start closes the incident
        headers = {"Authorization": f"Bearer {api.people.tokens['caseworker']}"}
        assert mended.get("/incidents", headers=headers).json()["items"] == []


def test_after_a_thirty_day_downtime_the_head_is_signed_once_and_deadlines_fire_in_due_order(
    api: Api, app, clock: SettableClock
) -> None:
    units = app.state.services.units
    keeper = DeadlineKeeper(
        app.state.services,
        worker="test-keeper",
        jobs=[DailyHeadSigning(signing_key(app.state.settings))],
    )
    keeper.sweep()  # plans the daily signing, then the service goes down
    down = clock.now()
    due = [down + dt.timedelta(days=d, hours=3) for d in (1, 4, 9, 16, 25)]
    for at in reversed(due):  # written in the opposite order: the due order must not depend on it
        seed_granted_cases(units, 2, "dua-2021", at)
    clock.advance(dt.timedelta(days=30))

    result = keeper.sweep()
    assert result.fired == 11  # ten period ends and one signing
    signed = api.get("auditor", "/audit/events", params={"transition": "head_signed"}).json()
    assert len(signed["items"]) == 1
    fired = api.get("auditor", "/audit/events", params={"transition": "end_period"}).json()
    deadlines = [e["details"]["deadline"] for e in fired["items"]]
    assert [d["due_at"] for d in deadlines] == sorted(d["due_at"] for d in deadlines)
    assert sorted({d["due_at"] for d in deadlines}) == [
        at.strftime("%Y-%m-%dT%H:%M:%S.000000Z") for at in due
    ]
    assert all(d["ran_at"] > d["due_at"] and d["late_by_ms"] > 0 for d in deadlines)
    with tables(app) as session:
        planned = session.exec(
            select(Deadline).where(Deadline.kind == "sign_audit_head", Deadline.status == "pending")
        ).all()
    assert [p.due_at for p in planned] == [
        dt.datetime.combine(clock.now().date() + dt.timedelta(days=1), dt.time(0, 5), dt.UTC)
    ]
    clock.advance(dt.timedelta(days=1))
    assert keeper.sweep().fired == 1, "and from then on once a day"


def test_run_due_refuses_a_clock_before_the_log_or_after_the_real_time(
    api: Api, app, database_url: str, tmp_path: Path
) -> None:
    api.create_case("knivsta", "delmos-2018")  # the log now reaches October 2017
    env = {"GRANTFLOW_DATABASE_URL": database_url, "GRANTFLOW_DATA_DIR": str(tmp_path)}

    def run_due(*args: str) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            [sys.executable, "-m", "services.cli", "deadlines", "run-due", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )

    before = run_due("--now", "2016-01-01T00:00:00+01:00")
    assert before.returncode == 2 and "before the audit log's last event" in before.stderr
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    ahead = run_due("--now", future)
    assert ahead.returncode == 2 and "after the real time" in ahead.stderr
    forced = run_due("--now", "2018-01-01T00:00:00+01:00", "--force")
    assert forced.returncode == 0, forced.stderr
    head = json.loads(api.get("auditor", "/audit/verify").text)
    assert head["ok"] is True


def test_a_step_undone_after_its_event_leaves_the_chain_whole(
    api: Api, app, clock: SettableClock
) -> None:
    """The head a unit of work locked follows the events it adds without reading the row again;
    a step undone after adding one must not leave that head ahead of the stored chain."""
    services = app.state.services
    undone, kept = seed_granted_cases(services.units, 2, "dua-2021", clock.now())
    with services.units.reading() as uow:
        before = uow.audit.head()
    assert before is not None
    with services.units.writing() as uow:
        with pytest.raises(RuntimeError, match="after its event"), uow.step():
            fired = services.transitions.fire_in(uow, SYSTEM, undone, "end_period", {})
            assert fired.event.seq == before.seq + 1
            raise RuntimeError("the step fails after its event was added")
        again = services.transitions.fire_in(uow, SYSTEM, kept, "end_period", {})
        uow.commit()
    assert again.event.seq == before.seq + 1, "the next step chains from the head as stored"
    verified = chain_of(app)
    assert verified.ok, verified.problem
    assert verified.head_seq == before.seq + 1
    with tables(app) as session:
        states = dict(
            session.exec(select(Case.id, Case.state).where(col(Case.id).in_([undone, kept]))).all()
        )
        events = session.exec(select(AuditEvent.case_id).where(AuditEvent.seq > before.seq)).all()
    assert states == {undone: "implementation_granted", kept: "reporting"}
    assert list(events) == [kept]
