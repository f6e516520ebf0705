"""Queries on incidents: what failed and waits for a person."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.storage.keeping import Incident
from services.storage.paging import Key, page
from workflow.statuses import IncidentStatus


class IncidentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_for(self, kind: str, subject: str) -> Incident | None:
        query = select(Incident).where(
            Incident.kind == kind,
            Incident.subject == subject,
            Incident.status == IncidentStatus.open,
        )
        return self.session.exec(query.with_for_update()).first()

    def open_of_kind(self, kind: str) -> list[Incident]:
        query = select(Incident).where(
            Incident.kind == kind, Incident.status == IncidentStatus.open
        )
        return list(self.session.exec(query).all())

    def get(self, incident_id: int, *, lock: bool = False) -> Incident | None:
        query = select(Incident).where(Incident.id == incident_id)
        return self.session.exec(query.with_for_update() if lock else query).first()

    def save(self, incident: Incident) -> Incident:
        self.session.add(incident)
        self.session.flush()
        return incident

    def count_open(self) -> int:
        query = (
            select(func.count()).select_from(Incident).where(Incident.status == IncidentStatus.open)
        )
        return int(self.session.exec(query).one())

    def page(
        self, status: IncidentStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Incident], str | None]:
        """Newest first."""
        keys: list[Key] = [(col(Incident.id), True)]
        query = select(Incident)
        if status is not None:
            query = query.where(Incident.status == status)
        return page(self.session, query, keys, limit, cursor, lambda i: [i.id])
