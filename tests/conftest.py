"""Fixtures: a fresh real database per test (SQLite file, or PostgreSQL when configured), a set
clock, the app, and the people who use it."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config.settings import Settings
from services.api.app import create_app
from services.storage.migrate import upgrade
from tests.browser import browser, page  # noqa: F401  (fixtures for every module that drives the browser)
from tests.support import Api, People, add_people
from workflow.clock import SettableClock

# Set to a PostgreSQL server URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
# database test against PostgreSQL; each test then gets its own database made from a template.
POSTGRES_URL = os.environ.get("GRANTFLOW_TEST_POSTGRES_URL", "")
# No example database in the working tree: tests write only to temporary paths.
hypothesis_settings.register_profile("grantflow", database=None)
hypothesis_settings.load_profile("grantflow")
# Early October 2017: the STAR call (closing 31-10-2017 12:00) is open, as in the seed text.
START = dt.datetime(2017, 10, 2, 8, 0, tzinfo=dt.UTC)
_numbers = itertools.count()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests about several processes on PostgreSQL belong to the PostgreSQL run (`make
    test-postgres`); the SQLite run leaves them out rather than running them twice."""
    if POSTGRES_URL:
        return
    kept = [item for item in items if "postgresql_only" not in item.keywords]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def _admin_engine():
    return create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that each test's database is copied from: migrations run once."""
    if not POSTGRES_URL:
        path = tmp_path_factory.mktemp("template") / "grantflow.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"gf_template_{os.getpid()}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    upgrade(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@contextmanager
def fresh_database(template_database: str, directory: Path) -> Iterator[str]:
    """A database of its own, copied from the migrated template, dropped afterwards."""
    if not POSTGRES_URL:
        path = directory / f"grantflow-{next(_numbers)}.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"
        return
    name = f"gf_test_{os.getpid()}_{next(_numbers)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template_database}"))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(template_database, tmp_path) as url:
        yield url


@contextmanager
def isolated_service(
    template_database: str, directory: Path
) -> Iterator[tuple[Api, SettableClock]]:
    """A whole service of its own (database, app, people) for one example of a property test,
    so no example sees what another left behind."""
    with fresh_database(template_database, directory) as url:
        clock = SettableClock(START)
        settings = Settings(
            environment="test", database_url=url, data_dir=directory, run_scheduler=False
        )
        app = create_app(settings, clock)
        with TestClient(app) as client:
            yield Api(client, add_people(app.state.services.units, clock)), clock


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No scheduler in the app: tests that need one start it, or sweep by hand with the test's clock.
    return Settings(
        environment="test", database_url=database_url, data_dir=tmp_path, run_scheduler=False
    )


@pytest.fixture
def app(settings: Settings, clock: SettableClock):
    return create_app(settings, clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def live_server(app, client: TestClient) -> Iterator[str]:
    """The app behind a real uvicorn server on a free port, so requests truly run side by side
    and a real browser can reach it. (`client` runs the app's start-up first.)"""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def people(app, client: TestClient) -> People:
    return add_people(app.state.services.units, app.state.services.clock)


@pytest.fixture
def api(client: TestClient, people: People) -> Api:
    return Api(client, people)
