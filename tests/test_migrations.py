"""The schema comes from the migrations, and they describe exactly the tables the code uses."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import services.storage.models  # noqa: F401  (registers the tables)
from services.storage.migrate import alembic_config
from services.storage.types import microseconds
from tests.support import Api


def test_the_migrated_schema_matches_the_models(app) -> None:
    with app.state.services.units.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_times_go_down_to_text_and_up_to_microseconds_unchanged(
    api: Api, app, database_url: str, clock
) -> None:
    clock.advance(dt.timedelta(microseconds=123_457))  # a fraction that a float would round
    case = api.create_case("knivsta", "delmos-2018", "Tider")
    api.move("caseworker", case["id"], "invite", note="Välkommen")
    before = api.get("caseworker", f"/cases/{case['id']}").json()
    db = app.state.services.units.db
    db.dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0026")
    with db.engine.begin() as conn:
        stored = conn.execute(
            text("SELECT updated_at FROM grant_case WHERE id = :id"), {"id": case["id"]}
        ).scalar_one()
        if db.is_sqlite:  # as SQLAlchemy wrote it before 0027, to the microsecond
            updated = dt.datetime.fromisoformat(before["updated_at"]).astimezone(dt.UTC)
            assert stored == updated.strftime("%Y-%m-%d %H:%M:%S.%f") and updated.microsecond
            conn.execute(  # text without a fraction, as CURRENT_TIMESTAMP writes it
                text("UPDATE grant_case SET created_at = '2024-02-29 23:59:58' WHERE id = :id"),
                {"id": case["id"]},
            )
    db.dispose()
    command.upgrade(config, "head")
    after = api.get("caseworker", f"/cases/{case['id']}").json()
    assert after["updated_at"] == before["updated_at"]
    with db.engine.connect() as conn:
        created, updated = conn.execute(
            text("SELECT created_at, updated_at FROM grant_case WHERE id = :id"),
            {"id": case["id"]},
        ).one()
    if db.is_sqlite:
        assert updated == microseconds(dt.datetime.fromisoformat(before["updated_at"]))
        assert created == microseconds(dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=dt.UTC))


def test_a_time_that_is_no_time_stops_the_migration_and_keeps_the_text(
    api: Api, app, database_url: str
) -> None:
    db = app.state.services.units.db
    if not db.is_sqlite:
        pytest.skip("PostgreSQL keeps timestamptz: 0027 rewrites nothing there")
    db.dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0026")
    with db.engine.begin() as conn:
        changed = conn.execute(text("UPDATE app_user SET created_at = 'last Tuesday'"))
        assert changed.rowcount > 0
    with pytest.raises(ValueError, match=r"app_user\.created_at"):
        command.upgrade(config, "head")
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT created_at FROM app_user WHERE id = 1")).scalar_one()
            == "last Tuesday"
        )
