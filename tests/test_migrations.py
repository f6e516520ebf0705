"""The schema comes from the migrations, and they describe exactly the tables the code uses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import services.storage.models  # noqa: F401  (registers the tables)


def test_the_migrated_schema_matches_the_models(app) -> None:
    with app.state.services.units.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []
