"""The bulk generator makes cases the service cannot tell from ones it made itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, text
from sqlmodel import select

from services.generate import generate_cases
from services.storage.keeping import Deadline
from services.storage.models import Case, Programme
from tests.support import Api, chain_of, tables
from workflow.actors import Actor, Role

AUDITOR = Actor(0, "auditor", Role.auditor)


def test_generated_cases_chain_verify_and_replay_to_what_the_tables_hold(app, api: Api) -> None:
    services = app.state.services
    api.create_case("knivsta", "dua-2021", "Made through the API before")
    made = generate_cases(services, 1_100, programme="dua-2021", batch_size=500)
    assert (made.cases, made.events, made.deadlines) == (1_100, 4_400, 1_100)

    result = chain_of(app)
    assert result.ok, result.problem
    with tables(app) as session:
        generated = session.exec(select(Case).where(Case.state == "implementation_granted")).all()
        committed = session.exec(select(Programme.committed).where(Programme.code == "dua-2021"))
        pending = session.exec(
            select(func.count()).where(Deadline.kind == "period_end", Deadline.status == "pending")
        ).one()
    assert len(generated) == 1_100 and pending == 1_100
    assert committed.one() == sum((c.granted_amount for c in generated), Decimal(0))
    later = app.state.services.clock.now() + dt.timedelta(
        seconds=1
    )  # each event a microsecond apart
    reading = services.reading
    for case in generated[::97]:  # spread over every batch
        with services.units.reading() as uow:
            stored = reading.get(uow, AUDITOR, case.id)
            replayed = reading.as_of(uow, AUDITOR, case.id, later)
            history = reading.history(uow, AUDITOR, case.id)
        assert replayed.state == stored.state == "implementation_granted"
        assert replayed.granted_amount == stored.granted_amount == case.granted_amount > 0
        assert replayed.requested_amount == stored.requested_amount
        assert [e.to_state for e in history] == [
            "application_draft",
            "implementation_applied",
            "implementation_proposed",
            "implementation_granted",
        ]


def test_the_service_writes_on_after_a_generated_chain(app, api: Api) -> None:
    generate_cases(app.state.services, 600, programme="dua-2021", batch_size=250)
    # No case existed before, so the generated ids are 1..600.
    after = api.move("caseworker", 600, "end_period")
    assert after["state"] == "reporting"
    assert chain_of(app).ok


def test_generation_leaves_every_index_as_the_migrations_made_it(app, api: Api) -> None:
    def indexes() -> list[tuple[str, str, str | None]]:
        with tables(app) as session:
            if app.state.services.units.is_sqlite:
                query = "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index'"
            else:
                query = "SELECT indexname, tablename, indexdef FROM pg_indexes"
            return sorted(tuple(row) for row in session.execute(text(query)).all())

    before = indexes()
    generate_cases(app.state.services, 300, programme="dua-2021", batch_size=100)
    assert indexes() == before
    assert any(name == "ix_audit_event_transition_seq" for name, _table, _sql in before)
    with tables(app) as session:  # and the planner finds them: the history reads by index
        plan = session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT seq FROM audit_event WHERE case_id = 5 ORDER BY seq"
                if app.state.services.units.is_sqlite
                else "EXPLAIN SELECT seq FROM audit_event WHERE case_id = 5 ORDER BY seq"
            )
        ).all()
    assert "ix_audit_event_case_seq" in " ".join(str(row) for row in plan)
