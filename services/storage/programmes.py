"""Queries on the programmes registered from config/programmes/."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.storage.models import Case, Disbursement, Programme


class ProgrammeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[Programme]:
        return list(self.session.exec(select(Programme)).all())

    def by_code(self, code: str) -> Programme | None:
        return self.session.exec(select(Programme).where(Programme.code == code)).first()

    def save(self, programme: Programme) -> None:
        self.session.add(programme)
        self.session.flush()

    def locked(self, programme_id: int) -> Programme:
        """The row, locked: two decisions racing for the last of a pool are taken one after
        the other."""
        query = (
            select(Programme).where(Programme.id == programme_id).with_for_update(key_share=True)
        )
        return self.session.exec(query).one()

    def commit_amount(self, programme_id: int, amount: Decimal) -> None:
        programme = self.session.get(Programme, programme_id)
        assert programme is not None
        programme.committed += amount
        self.session.add(programme)

    def disbursed(self, programme_id: int) -> Decimal:
        query = (
            select(func.coalesce(func.sum(Disbursement.amount), 0))
            .join(Case, col(Case.id) == Disbursement.case_id)
            .where(Case.programme_id == programme_id)
        )
        return Decimal(self.session.exec(query).one() or 0)
