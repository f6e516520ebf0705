"""Applying the alembic migrations, from the CLI, from start-up and from tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code was written for."""

    def __init__(self, current: str | None, head: str | None) -> None:
        self.said = (
            f"the database schema is at revision {current or 'none'}, this grantflow needs {head}"
        )
        super().__init__(f"{self.said}: run `grantflow db upgrade` (make run does)")


def check_current(engine: Engine) -> None:
    """Refuse to run on a schema older (or newer) than this code's: say what to do instead."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise SchemaNotCurrent(current, head)
