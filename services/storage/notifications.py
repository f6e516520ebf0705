"""Queries on the notification outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from services.storage.keeping import Notification
from services.storage.paging import Key, page
from services.storage.rows import RowInsert

_NOTIFICATION = RowInsert(Notification)


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notification: Mapping[str, Any]) -> None:
        """Queue a notification (the notification table's columns)."""
        _NOTIFICATION.add(self.session, notification)

    def page(
        self,
        case_id: int | None,
        audience: str | None,
        organisation_id: int | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Notification], str | None]:
        """Newest first; `audience` and `organisation_id` narrow it to one reader's messages."""
        keys: list[Key] = [(col(Notification.id), True)]
        query = select(Notification)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        if audience is not None:
            query = query.where(
                Notification.audience == audience, Notification.organisation_id == organisation_id
            )
        return page(self.session, query, keys, limit, cursor, lambda n: [n.id])
