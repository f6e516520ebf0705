"""Alembic's entry point: runs the migrations against the URL the caller hands over."""

from alembic import context
from sqlmodel import SQLModel

import services.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from services.storage.db import Database, Limits

config = context.config
url = config.attributes.get("database_url")
if not url:
    from config.settings import get_settings

    url = get_settings().database_url


def run() -> None:
    database = Database(url, limits=Limits(statement_seconds=None))  # a migration may take long
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=database.is_sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    database.dispose()


run()
