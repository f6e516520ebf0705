"""A chain checked in parts, one a core, answers exactly as one pass over it does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services import audit
from services.auditing.parts import Part, parts_of, verify_in_parts
from tests.support import Api
from workflow.audit_chain import Verification
from workflow.chain_check import verify_batches

BATCH = 4  # small, so that each part is read in several batches


def test_the_chain_is_cut_into_even_parts_and_the_last_runs_to_its_end() -> None:
    assert parts_of(1_000_000, 250_000, cores=2) == [Part(0, 500_000), Part(500_000, None)]
    assert parts_of(1_000_000, 250_000, cores=16) == [
        Part(0, 250_000),
        Part(250_000, 500_000),
        Part(500_000, 750_000),
        Part(750_000, None),
    ]
    assert parts_of(200_000, 250_000, cores=8) == [Part(0, None)]  # too short to share
    assert parts_of(0, 250_000, cores=8) == [Part(0, None)]


def some_history(api: Api) -> None:
    for i in range(6):
        case = api.create_case("knivsta", "delmos-2018", f"Ärende {i}")
        api.move("caseworker", case["id"], "invite", note="Välkommen")


def two_parts(app) -> list[Part]:
    with app.state.services.units.reading() as uow:
        parts = parts_of(uow.audit.head().seq, min_part=3, cores=2)
    assert len(parts) == 2
    return parts


def both_ways(app) -> tuple[Verification, Verification]:
    """(the chain checked in two parts, one a process; the chain checked in one pass)"""
    parts = two_parts(app)
    with app.state.services.units.reading() as uow:
        in_parts = verify_in_parts(uow, parts, BATCH)
        one_pass = verify_batches(uow.chain.rows(BATCH), uow.chain.event)
    return in_parts, one_pass


def behind_the_services_back(app, change: Callable[[Connection], None]) -> None:
    """Change the log as someone with the database but not the service could."""
    db = app.state.services.units.db
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        change(conn)


def test_an_untouched_chain_verifies_in_parts_as_in_one_pass(api: Api, app) -> None:
    some_history(api)
    in_parts, one_pass = both_ways(app)
    assert in_parts.ok and in_parts == one_pass
    with app.state.services.units.reading() as uow:
        assert in_parts.checked == uow.audit.head().seq


@pytest.mark.parametrize("where", ["inside the first part", "inside the second part"])
def test_an_edited_event_is_named_as_one_pass_names_it(api: Api, app, where: str) -> None:
    some_history(api)
    parts = two_parts(app)
    seq = parts[1].after - 2 if where == "inside the first part" else parts[1].after + 2
    behind_the_services_back(
        app,
        lambda conn: conn.execute(
            text("UPDATE audit_event SET payload = payload || ' ' WHERE seq = :s"),
            {"s": seq},
        ),
    )
    in_parts, one_pass = both_ways(app)
    assert not one_pass.ok and one_pass.first_bad_seq == seq
    assert in_parts == one_pass


@pytest.mark.parametrize("where", ["last of the first part", "first of the second part"])
def test_an_event_cut_at_a_seam_is_named_as_one_pass_names_it(api: Api, app, where: str) -> None:
    some_history(api)
    parts = two_parts(app)
    seq = parts[1].after if where == "last of the first part" else parts[1].after + 1
    behind_the_services_back(
        app, lambda conn: conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
    )
    in_parts, one_pass = both_ways(app)
    assert not one_pass.ok and one_pass.first_bad_seq == seq + 1
    assert in_parts == one_pass


def test_the_service_checks_a_long_chain_in_parts_where_there_are_cores(api: Api, app) -> None:
    some_history(api)
    with app.state.services.units.reading() as uow:
        assert audit.verify(uow, min_part=3) == audit.verify(uow)
        assert audit.verify(uow, min_part=3).ok
