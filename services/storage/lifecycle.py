"""Queries on where cases stand in the lifecycle, for moving them to a new version of it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.storage.models import Case


class LifecycleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def states_in_use(self) -> dict[str, int]:
        """Every state some case is in, with how many cases are in it."""
        query = select(Case.state, func.count()).group_by(Case.state)
        return {state: count for state, count in self.session.exec(query).all()}

    def ids_in_state(self, state: str) -> list[int]:
        query = select(Case.id).where(Case.state == state).order_by(col(Case.id))
        return [i for i in self.session.exec(query).all() if i is not None]
