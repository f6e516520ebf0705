"""The bulk generator makes cases the service cannot tell from ones it made itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func
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
