"""The baseline: a bare FastAPI + SQLModel endpoint that updates one row and inserts one row.

Started the same way as grantflow (uvicorn, one worker) on the same kind of database with the same
SQLite tuning, so the ratio measures grantflow's own work, not the machine.
"""

from __future__ import annotations

import datetime as dt
import os

from fastapi import FastAPI, HTTPException
from sqlalchemy import Engine, event
from sqlmodel import Field, Session, SQLModel, create_engine


class Counter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    value: int = 0


class Entry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    counter_id: int
    at: dt.datetime


def _engine(url: str) -> Engine:
    engine = create_engine(
        url, connect_args={"check_same_thread": False} if url.startswith("sqlite") else {}
    )
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _tune(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

    return engine


def prepare(url: str) -> None:
    """The tables and 1000 counters, made once before any worker starts (workers racing to make
    them would fail)."""
    engine = _engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.get(Counter, 1) is None:
            session.add_all([Counter(id=i, value=0) for i in range(1, 1001)])
            session.commit()
    engine.dispose()


def create_app() -> FastAPI:
    engine = _engine(os.environ["BASELINE_DATABASE_URL"])
    app = FastAPI()

    @app.get("/counters/{counter_id}")
    def read(counter_id: int) -> dict[str, int]:
        with Session(engine) as session:
            counter = session.get(Counter, counter_id)
            if counter is None:
                raise HTTPException(404)
            return {"id": counter_id, "value": counter.value}

    @app.post("/counters/{counter_id}/bump")
    def bump(counter_id: int) -> dict[str, int]:
        with Session(engine) as session:
            counter = session.get(Counter, counter_id)
            if counter is None:
                raise HTTPException(404)
            counter.value += 1
            session.add(counter)
            session.add(Entry(counter_id=counter_id, at=dt.datetime.now(dt.UTC)))
            session.commit()
            return {"id": counter_id, "value": counter.value}

    return app
