"""A database that stops answering: requests get a 503 within the configured time, never a hang,
and the service recovers by itself when the database answers again (no restart)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from config.settings import Settings
from services.api.app import create_app
from tests.conftest import START, fresh_database
from tests.support import Api, add_people
from workflow.clock import SettableClock

CONNECT_TIMEOUT = 1.0
NEVER_A_HANG = 30.0  # far above the timeout, far below forever: what must hold on any machine


class Proxy:
    """A TCP proxy the test controls, in front of the shared PostgreSQL server (which is left
    alone): it forwards, or it swallows (accepts connections and never answers them)."""

    def __init__(self, port: int) -> None:
        self.upstream = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarding = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def stop_forwarding(self) -> None:
        """The database is away: what was open is cut, and what connects hears nothing."""
        with self.lock:
            self.forwarding = False
            self._cut()

    def forward_again(self) -> None:
        with self.lock:
            self.forwarding = True
            self._cut()

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            self._cut()

    def _cut(self) -> None:
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.open.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.open.append(client)
                if not self.forwarding:
                    continue  # held, never answered
                server = socket.create_connection(self.upstream)
                self.open.append(server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def proxied_url(template_database: str, tmp_path: Path) -> Iterator[tuple[str, Proxy]]:
    with fresh_database(template_database, tmp_path) as url:
        parsed = make_url(url)
        proxy = Proxy(parsed.port or 5432)
        try:
            yield parsed.set(port=proxy.port).render_as_string(hide_password=False), proxy
        finally:
            proxy.close()


@contextlib.contextmanager
def service_with_a_case(url: str, tmp_path: Path, **settings: float) -> Iterator[Api]:
    """The service on the proxied database, holding one case its caseworker has listed."""
    app = create_app(
        Settings(
            environment="test",
            database_url=url,
            data_dir=tmp_path,
            run_scheduler=False,
            database_connect_timeout_seconds=CONNECT_TIMEOUT,
            **settings,
        ),
        clock := SettableClock(START),
    )
    with TestClient(app) as client:
        api = Api(client, add_people(app.state.services.units, clock))
        api.create_case("knivsta", "delmos-2018")
        assert api.get("caseworker", "/cases").status_code == 200
        yield api


@pytest.mark.postgresql_only
def test_requests_answer_503_while_the_database_is_away_and_work_again_when_it_is_back(
    proxied_url: tuple[str, Proxy], tmp_path: Path
) -> None:
    url, proxy = proxied_url
    with service_with_a_case(url, tmp_path, database_statement_timeout_seconds=2) as api:
        proxy.stop_forwarding()
        for path in ("/cases", "/health"):
            started = time.monotonic()
            response = api.get("caseworker", path)
            assert time.monotonic() - started < NEVER_A_HANG, path
            assert response.status_code == 503, (path, response.text)
            assert response.json()["type"] == "/problems/database-unavailable"
            assert int(response.headers["retry-after"]) > 0

        proxy.forward_again()
        listed = api.get("caseworker", "/cases")
        assert listed.status_code == 200 and listed.json()["total"] == 1, "no restart needed"


@pytest.mark.postgresql_only
def test_connections_dropped_while_the_service_was_quiet_cost_no_request_a_503(
    proxied_url: tuple[str, Proxy], tmp_path: Path
) -> None:
    url, proxy = proxied_url
    # Every connection counts as idle, so the test need not wait for one to become so.
    with service_with_a_case(url, tmp_path, database_ping_after_idle_seconds=0) as api:
        proxy.forward_again()  # every open connection is cut, as by a restart of the database
        for _ in range(3):
            listed = api.get("caseworker", "/cases")
            assert listed.status_code == 200, listed.text
            assert listed.json()["total"] == 1
