"""Queries on the answers kept for requests sent with an Idempotency-Key."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session, select

from services.storage.models import IdempotencyRecord


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_key(self, user_id: int | None, key: str) -> None:
        """Hold this user's key until the transaction ends, so a retry racing its first attempt
        waits for it and then finds its answer. SQLite's writers already take turns."""
        if self.session.get_bind().dialect.name == "sqlite":
            return
        digest = hashlib.sha256(f"{user_id}\x00{key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})

    def find(self, user_id: int | None, key: str) -> IdempotencyRecord | None:
        query = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
        return self.session.exec(query).first()

    def add(self, record: IdempotencyRecord) -> None:
        self.session.add(record)
        self.session.flush()
