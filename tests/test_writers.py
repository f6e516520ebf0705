"""A process's writers take turns before they open a transaction: in the order they came, each
giving up with a 503 when its turn does not come in time, and nested writes never wait on
themselves; on PostgreSQL the line is kept out of the database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as NoTurnInTime

from config.settings import Settings
from services.api.app import create_app
from services.storage.db import Database, Limits
from services.storage.writers import Turns
from tests.support import Api, add_people
from workflow.clock import SettableClock

from .conftest import START

# Long enough that nothing in these tests waits it out unless it is meant to.
PATIENT = 60.0
# Locks the chain's head as an audited step does up to its commit, and changes nothing.
HOLD_THE_HEAD = "UPDATE audit_head SET seq = seq WHERE id = 1"


def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition` holds (another thread has got where it is going); polling, so
    the test asserts an order of events and never how long anything took."""
    done = threading.Event()
    for _ in range(int(PATIENT / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the other thread never got there")


def in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_a_writer_that_lets_go_and_asks_again_waits_behind_the_one_already_waiting() -> None:
    turns, order = Turns(PATIENT), []

    def second() -> None:
        turns.enter()
        order.append("second")
        turns.leave()

    turns.enter()
    order.append("first")
    waiter = in_thread(second)
    until(lambda: turns.waiting == 1)
    turns.leave()
    turns.enter()  # straight back, as a deadline keeper's next batch would
    order.append("first again")
    turns.leave()
    waiter.join(PATIENT)
    assert order == ["first", "second", "first again"]


def test_a_write_nested_in_one_the_same_thread_holds_does_not_wait_for_itself() -> None:
    turns, got = Turns(PATIENT), []
    assert turns.enter() is True
    assert turns.enter() is False  # nested: already this thread's turn
    turns.leave()
    other = in_thread(lambda: got.append(turns.enter()))
    until(lambda: turns.waiting == 1)
    assert got == []  # the outer turn still stands
    turns.leave()
    other.join(PATIENT)
    assert got == [True]


def test_a_writer_whose_turn_does_not_come_in_time_gives_up_and_leaves_the_line() -> None:
    turns, failed = Turns(0.05), []

    def impatient() -> None:
        try:
            turns.enter()
        except NoTurnInTime as error:
            failed.append(str(error))

    turns.enter()
    in_thread(impatient).join(PATIENT)
    assert failed and "backed up" in failed[0]
    assert turns.waiting == 0
    turns.leave()
    assert turns.enter() is True  # the line is empty: the next writer goes straight in
    turns.leave()


def _backends_in_a_transaction(url: str) -> int:
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                    )
                ).scalar_one()
            )
    finally:
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test's database as one process opens it, patient enough never to give up here."""
    database = Database(database_url, limits=Limits(pool_seconds=PATIENT))
    yield database
    database.dispose()


def test_a_second_writer_of_a_process_waits_for_its_turn_without_opening_a_transaction(
    db: Database, database_url: str
) -> None:
    order: list[str] = []

    def second() -> None:
        with db.session(write=True) as session:
            session.connection().execute(text(HOLD_THE_HEAD))
            order.append("second")

    with db.session(write=True) as session:
        session.connection().execute(text(HOLD_THE_HEAD))
        waiter = in_thread(second)
        until(lambda: db.writers_waiting == 1)
        if not db.is_sqlite:
            assert _backends_in_a_transaction(database_url) == 1
        order.append("first")
    waiter.join(PATIENT)
    assert order == ["first", "second"]


def test_a_transition_that_gets_no_turn_in_time_answers_503_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test",
        database_url=database_url,
        data_dir=tmp_path,
        run_scheduler=False,
        database_wait_seconds=0.2,
    )
    clock = SettableClock(START)
    app = create_app(settings, clock)
    with TestClient(app) as client:
        api = Api(client, add_people(app.state.services.units, clock))
        case = api.create_case("knivsta", "delmos-2018", "Samordnad rehabilitering i Knivsta")
        events = len(api.history("auditor", case["id"]))
        # Another writer of the same process holds its turn (a long programme change, say).
        with app.state.services.units.writing():
            answer = api.fire("knivsta", case["id"], "withdraw", reason="Vi avstår")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["type"].endswith("database-unavailable")
        after = api.get("knivsta", f"/cases/{case['id']}").json()
        assert after["state"] == case["state"] and after["version"] == case["version"]
        assert len(api.history("auditor", case["id"])) == events
        assert api.fire("knivsta", case["id"], "withdraw", reason="Vi avstår").status_code == 200


def test_a_reader_goes_by_while_a_writer_of_the_same_process_holds_its_turn(
    db: Database,
) -> None:
    read: list[int] = []

    def reader() -> None:
        with db.session(write=False) as session:
            read.append(
                session.connection().execute(text("SELECT count(*) FROM audit_head")).scalar_one()
            )

    with db.session(write=True) as session:
        session.connection().execute(text(HOLD_THE_HEAD))
        in_thread(reader).join(PATIENT)
        assert read == [1]  # read while the writer still holds its turn
