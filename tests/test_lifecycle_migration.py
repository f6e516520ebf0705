"""A new version of the lifecycle renames a state that running cases are in: the plan names every
case, apply moves them in one transaction with a `migrated` event each, their histories read as
before and after, the chain verifies, and the cases go on under the new version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from services.container import build_services
from services.deadlines.keeper import DeadlineKeeper
from services.errors import Conflict
from services.lifecycle_changes import LifecycleChanges
from states import load_definition
from tests.support import Api, seed_granted_cases
from tests.test_retired_programmes import TO_GRANTED, walk
from workflow.actors import Actor, Role
from workflow.catalogue import Catalogue
from workflow.clock import SettableClock
from workflow.engine import Engine
from workflow.lifecycle import load_lifecycle, parse_lifecycle
from workflow.lifecycle_migration import LifecycleMigration, Renames
from workflow.replay import replay

# The end of 30 June 2019 in Stockholm, as the walked case's decision says (DECISION).
PERIOD_END = dt.datetime(2019, 6, 30, 22, 0, tzinfo=dt.UTC)
STEP = LifecycleMigration(
    "grant_lifecycle", 1, 2, states={"reporting": "awaiting_report"}, reason="as agencies say"
)


def version_2() -> Any:
    """The lifecycle of states/, with `reporting` renamed wherever it is named."""
    text = json.dumps(load_definition()).replace('"reporting"', '"awaiting_report"')
    return parse_lifecycle({**json.loads(text), "version": 2})


@pytest.fixture
def hundred_reporting(app, api: Api, clock: SettableClock) -> list[int]:
    """A case walked to its grant through the API, with its whole history, and 99 granted
    cases seeded beside it; at the end of their period all 100 wait for their report."""
    walked = api.create_case("knivsta", "delmos-2018", "Kartläggning")["id"]
    assert walk(api, walked, TO_GRANTED) == "implementation_granted"
    ids = seed_granted_cases(app.state.services.units, 99, "delmos-2018", PERIOD_END)
    clock.set(PERIOD_END + dt.timedelta(hours=11))
    DeadlineKeeper(app.state.services, worker="test").sweep()
    return [walked, *ids]


def test_renaming_a_state_moves_100_running_cases_and_their_histories_still_read(
    app, api: Api, clock: SettableClock, hundred_reporting: list[int], tmp_path: Path
) -> None:
    units = app.state.services.units
    before = clock.now()
    clock.set(before + dt.timedelta(days=1))
    new = version_2()
    assert STEP.problems(new) == []
    changes = LifecycleChanges(new, [STEP], clock)
    with units.reading() as uow:
        plan = changes.plan(uow)
    assert sorted(m.case_id for m in plan.moves) == sorted(hundred_reporting)
    assert plan.orphaned == {}

    admin = Actor(api.people.user_ids["admin"], "admin user", Role.admin)
    with units.writing() as uow:
        changes.apply(uow, admin, "Benämningen följer myndighetens")
        uow.commit()

    case = hundred_reporting[0]
    assert api.get("caseworker", f"/cases/{case}").json()["state"] == "awaiting_report"
    an_hour_later = (before + dt.timedelta(hours=1)).isoformat()
    then = api.get("caseworker", f"/cases/{case}", params={"as_of": an_hour_later}).json()
    assert then["state"] == "reporting"
    history = api.history("auditor", case)
    assert [(e["kind"], e["from_state"], e["to_state"]) for e in history][-1] == (
        "migrated",
        "reporting",
        "awaiting_report",
    )
    assert api.get("auditor", "/audit/verify").json()["ok"] is True

    with units.reading() as uow:
        recorded = [json.loads(p) for p in uow.audit.payloads(1, None)]
    assert replay(new, recorded, Renames.of([STEP])).ok
    without_the_step = replay(new, recorded)
    assert without_the_step.misfit is not None and "'reporting'" in without_the_step.misfit.problem

    # Restarted on version 2, the cases go on: the overdue report deadline fires from the new name.
    catalogue = app.state.services.catalogue
    services = build_services(
        app.state.settings.database_url,
        Catalogue(new, Engine(new), catalogue.programmes),
        clock,
        tmp_path,
    )
    with services.units.reading() as uow:
        services.programmes.load(uow)
    clock.set(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    DeadlineKeeper(services, worker="version-2").sweep()
    moved_on = api.get("caseworker", f"/cases/{case}").json()["state"]
    assert moved_on != "awaiting_report" and moved_on in new.states


def test_a_state_no_step_explains_stops_the_migration_and_moves_nothing(
    app, api: Api, clock: SettableClock, hundred_reporting: list[int]
) -> None:
    changes = LifecycleChanges(version_2(), [], clock)
    admin = Actor(api.people.user_ids["admin"], "admin user", Role.admin)
    with app.state.services.units.writing() as uow, pytest.raises(Conflict, match="reporting"):
        changes.apply(uow, admin, "Glömde kartan")
    assert api.get("caseworker", f"/cases/{hundred_reporting[0]}").json()["state"] == "reporting"


def test_the_lifecycle_in_states_has_a_version_and_its_steps_lead_to_it() -> None:
    lifecycle = load_lifecycle()
    assert lifecycle.version >= 1
    from workflow.lifecycle_migration import parse_migrations

    for step in parse_migrations(load_definition("lifecycle_migrations")):
        if step.to_version == lifecycle.version:
            assert step.problems(lifecycle) == []
