"""The lean baseline: a FastAPI endpoint doing the same two statements as the bare one, with the
driver alone (`sqlite3` or `psycopg`), no ORM and no pool beyond one connection per thread.

It is the floor under any audited transition written in Python on this stack: grantflow's bar on
SQLite is a share of its rate (issue 16). Served like grantflow (uvicorn, the same HTTP
implementation, the same SQLite tuning), on tables `bench.baseline_app.prepare` made.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy.engine import make_url


def _connect(url: str) -> Any:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database or "", isolation_level=None, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg

    return psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    )


def create_app() -> FastAPI:
    url = os.environ["BASELINE_DATABASE_URL"]
    sqlite = make_url(url).get_backend_name() == "sqlite"
    mark = "?" if sqlite else "%s"
    local = threading.local()
    app = FastAPI()

    def connection() -> Any:
        if not hasattr(local, "conn"):
            local.conn = _connect(url)
        return local.conn

    @app.post("/counters/{counter_id}/bump")
    def bump(counter_id: int) -> dict[str, int]:
        conn = connection()
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"UPDATE counter SET value = value + 1 WHERE id = {mark} RETURNING value",
                (counter_id,),
            ).fetchone()
            if row is None:
                raise HTTPException(404)
            conn.execute(
                f"INSERT INTO entry (counter_id, at) VALUES ({mark}, {mark})",
                (counter_id, dt.datetime.now(dt.UTC).isoformat()),
            )
            conn.execute("COMMIT") if sqlite else conn.commit()
        except BaseException:
            conn.execute("ROLLBACK") if sqlite else conn.rollback()
            raise
        return {"id": counter_id, "value": row[0]}

    return app
